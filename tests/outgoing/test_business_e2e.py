"""Revoke / update / replace and the take-back negotiation, end to end through the hub.

The demo province issues to several districts over an in-process hub; then the clerk asks
the document back (Rạch Giá agrees, 15; Hà Tiên refuses, 16), changes its recipients
(Hà Tiên removed, Kiên Lương added), replaces it, and revokes the replacement. Each step
is checked on both sides: the issuer's record (``recipients[].status``, history, audit)
and each district's incoming copy (state, notes, links).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from helpers import PASSWORD

from eoffice.audit.models import AuditEvent
from eoffice.auth.service import find_user
from eoffice.core.errors import Conflict, InvalidTransition, ValidationFailed
from eoffice.core.uow import unit_of_work
from eoffice.incoming import service as incoming
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import service as interop
from eoffice.interop.models import InboxMessage
from eoffice.orgs.service import get_org_by_code
from eoffice.outgoing import service as outgoing

PROVINCE = "000.00.00.H33"
DEMO_PASSWORD = "demo12345"
RG, HT, PQ, KL = "000.00.30.H33", "000.00.31.H33", "000.00.32.H33", "000.00.33.H33"


@pytest.fixture
def demo(demo_hub, make_user):
    with unit_of_work():
        for code, name in ((HT, "vanthu.hatien"), (PQ, "vanthu.phuquoc"),
                           (KL, "vanthu.kienluong")):
            make_user("clerk", org=get_org_by_code(code), username=name)


def user(name: str):
    found = find_user(name)
    assert found is not None
    return found


def pump() -> None:
    """Deliver every due packet and poll, until nothing moves."""
    for _ in range(6):
        due = interop.due_messages(limit=1000)
        for message_id in due:
            assert interop.deliver(message_id) == "sent"
        counts = interop.poll()
        if not due and not any(counts.values()):
            return


def issue(recipients: list[str], subject: str, *, replaces=None):
    with unit_of_work():
        draft = outgoing.create_draft(
            user("chuyenvien.tinh"), doc_type="CT", subject=subject, recipients=recipients,
            signer="lanhdao.tinh", body="Các địa phương triển khai thực hiện nghiêm túc.")
        doc_id = draft.id
    with unit_of_work():
        outgoing.submit(user("chuyenvien.tinh"), outgoing.get_document(doc_id))
    with unit_of_work():
        outgoing.approve(user("lanhdao.tinh"), outgoing.get_document(doc_id))
    with unit_of_work():
        outgoing.sign(user("lanhdao.tinh"), outgoing.get_document(doc_id), pin="123456")
    with unit_of_work():
        old = outgoing.get_document(replaces) if replaces else None
        outgoing.issue(user("vanthu.tinh"), outgoing.get_document(doc_id), replaces=old)
    pump()
    return outgoing.get_document(doc_id)


def copy(document_id: str, code: str) -> IncomingDocument:
    return next(d for d in copies(document_id) if d.org.code == code)


def copies(document_id: str) -> list[IncomingDocument]:
    return list(incoming.db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.document_id == document_id).order_by(IncomingDocument.id)).scalars())


def statuses(client, token: str, doc_id: int) -> dict[str, dict]:
    record = client.get(f"/api/v1/outgoing/{doc_id}",
                        headers={"Authorization": f"Bearer {token}"}).get_json()
    return {r["org_code"]: r for r in record["recipients"]}


def audit_actions(obj_type: str, obj_id: int) -> list[str]:
    return list(incoming.db.session.execute(sa.select(AuditEvent.action).where(
        AuditEvent.object_type == obj_type, AuditEvent.object_id == str(obj_id))
        .order_by(AuditEvent.id)).scalars())


def test_takeback_update_replace_revoke_end_to_end(demo, db_session, client, api_token):
    doc = issue([RG, HT, PQ], "Về kiểm tra công tác cải cách hành chính năm 2026")
    document_id = doc.document_id
    assert sorted(d.org.code for d in copies(document_id)) == [RG, HT, PQ]
    with unit_of_work():
        incoming.register(user("vanthu.rachgia"), copy(document_id, RG))
    pump()
    token = api_token("vanthu.tinh", DEMO_PASSWORD)
    auth = {"Authorization": f"Bearer {token}"}

    # 1. take-back: the clerk asks Rạch Giá and Hà Tiên (13); the hub routes it to them
    answer = client.post(f"/api/v1/outgoing/{doc.id}/takeback", headers=auth,
                         json={"reason": "Gửi nhầm phụ lục", "recipients": [RG, HT]})
    assert answer.status_code == 200, answer.get_json()
    rows = {r["org_code"]: r for r in answer.get_json()["recipients"]}
    assert rows[RG]["status"] == rows[HT]["status"] == "takeback_requested"
    assert rows[PQ]["status"] == "received"
    again = client.post(f"/api/v1/outgoing/{doc.id}/takeback", headers=auth,
                        json={"reason": "Nhắc lại", "recipients": [RG]})
    assert again.status_code == 409  # still waiting for the answer
    pump()
    rg, ht, pq = copy(document_id, RG), copy(document_id, HT), copy(document_id, PQ)
    assert rg.takeback_reason == ht.takeback_reason == "Gửi nhầm phụ lục"
    assert pq.takeback_reason is None  # not asked
    with unit_of_work():
        incoming.answer_takeback(user("vanthu.rachgia"), rg, accept=True)
        incoming.answer_takeback(user("vanthu.hatien"), ht, accept=False,
                                 reason="Đã trình lãnh đạo cho ý kiến")
    pump()
    assert rg.status == "withdrawn" and ht.status == "received"
    with pytest.raises(InvalidTransition):  # the withdrawn copy is frozen
        incoming.assign(user("lanhdao.rachgia"), rg, lead="chuyenvien.rachgia")
    rows = statuses(client, token, doc.id)
    assert rows[RG]["status"] == "takeback_accepted" and rows[RG]["status_code"] == "15"
    assert rows[HT]["status"] == "takeback_refused" and rows[HT]["status_code"] == "16"
    assert "Đã trình lãnh đạo" in rows[HT]["takeback_answer"]
    history = [e.action for e in outgoing.get_document(doc.id).events]
    assert history[-3:] == ["takeback", "takeback_accepted", "takeback_refused"] or \
        history[-3:] == ["takeback", "takeback_refused", "takeback_accepted"]
    actions = audit_actions("OutgoingDocument", doc.id)
    assert {"outgoing.takeback", "outgoing.takeback_accepted",
            "outgoing.takeback_refused"} <= set(actions)
    # the issuer's own 13 is not taken for a receiver's report
    assert PROVINCE not in {r.recipient_code for r in interop.delivery_statuses(document_id)}

    # 2. update: Hà Tiên removed, Kiên Lương added
    answer = client.post(f"/api/v1/outgoing/{doc.id}/update-recipients", headers=auth,
                         json={"add": [KL], "remove": [HT], "reason": "Điều chỉnh nơi nhận"})
    assert answer.status_code == 200, answer.get_json()
    pump()
    ht, pq = copy(document_id, HT), copy(document_id, PQ)
    assert ht.status == "revoked"
    assert "đã bị loại khỏi danh sách nơi nhận" in ht.closed_note
    assert "đã bị loại khỏi danh sách nơi nhận" in ht.notes[-1].text
    assert "incoming.recipient_removed" in audit_actions("IncomingDocument", ht.id)
    assert pq.status == "received" and "cập nhật nơi nhận" in pq.notes[-1].text
    kl = copy(document_id, KL)
    assert kl.status == "received" and kl.files  # received as a new document, with the PDF
    assert len([d for d in copies(document_id) if d.org.code == PQ]) == 1  # no new copy
    update_packets = db_session.execute(sa.select(InboxMessage).where(
        InboxMessage.document_id == document_id, InboxMessage.to_code == PQ,
        InboxMessage.message_type == "edoc")).scalars().all()
    assert [m.state for m in update_packets] == ["processed", "processed"]  # not a duplicate
    rows = statuses(client, token, doc.id)
    assert rows[HT]["status"] == "removed" and rows[HT]["removed"] is True
    assert rows[KL]["added"] is True and rows[KL]["status"] == "received"
    with pytest.raises(Conflict):  # a removed body is sent again by a replacement only
        with unit_of_work():
            outgoing.update_recipients(user("vanthu.tinh"), outgoing.get_document(doc.id),
                                       add=[HT], reason="Gửi lại")
    with pytest.raises(ValidationFailed):
        with unit_of_work():
            outgoing.update_recipients(user("vanthu.tinh"), outgoing.get_document(doc.id),
                                       add=[PQ], reason="Trùng")

    # 3. replace: the new document links to the old one both ways, old copies frozen
    new = issue([PQ, KL], "Về kiểm tra công tác cải cách hành chính năm 2026 (thay thế)",
                replaces=doc.id)
    old_doc = outgoing.get_document(doc.id)
    assert old_doc.status == "replaced" and old_doc.replaced_by_id == new.id
    record = client.get(f"/api/v1/outgoing/{new.id}", headers=auth).get_json()
    assert record["replaces"] == doc.id
    for code in (PQ, KL):
        old_copy, new_copy = copy(document_id, code), copy(new.document_id, code)
        assert old_copy.status == "replaced" and new_copy.replaces_id == old_copy.id
        assert incoming.replaced_by(old_copy) == new_copy
        clerk = api_token(f"vanthu.{'phuquoc' if code == PQ else 'kienluong'}", PASSWORD)
        data = client.get(f"/api/v1/incoming/{old_copy.id}",
                          headers={"Authorization": f"Bearer {clerk}"}).get_json()
        assert data["replaced_by"] == new_copy.id and data["status"] == "replaced"

    # 4. revoke the replacement: every copy frozen with the reason, auditable, not deletable
    answer = client.post(f"/api/v1/outgoing/{new.id}/revoke", headers=auth,
                         json={"reason": "Ban hành sai thẩm quyền"})
    assert answer.status_code == 200
    pump()
    for code in (PQ, KL):
        revoked = copy(new.document_id, code)
        assert revoked.status == "revoked" and revoked.closed_note == "Ban hành sai thẩm quyền"
        assert "incoming.revoked" in audit_actions("IncomingDocument", revoked.id)
        clerk = api_token(f"vanthu.{'phuquoc' if code == PQ else 'kienluong'}", PASSWORD)
        headers = {"Authorization": f"Bearer {clerk}"}
        assert client.get(f"/api/v1/incoming/{revoked.id}", headers=headers).status_code == 200
        assert client.delete(f"/api/v1/incoming/{revoked.id}",
                             headers=headers).status_code in (404, 405)
        assert client.post(f"/api/v1/incoming/{revoked.id}/register",
                           headers=headers).status_code == 409
    assert len(copies(new.document_id)) == 2  # the revocation is no new document
    rows = statuses(client, token, new.id)
    assert {rows[PQ]["status"], rows[KL]["status"]} == {"change_accepted"}
