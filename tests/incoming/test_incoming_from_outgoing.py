"""Done-when: the directive the province issues (outgoing: leader's certification + body
seal, B-LTA) reaches TP Rạch Giá through the hub, is verified valid on arrival,
registered, assigned and completed through the API, and the province sees 01 → 06."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from incoming_helpers import RACHGIA, pump

from eoffice.core.storage import FileStore
from eoffice.core.uow import unit_of_work
from eoffice.documents.keys import issue_person_key
from eoffice.incoming import service
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import service as interop
from eoffice.interop.models import StatusEvent

outgoing = pytest.importorskip("eoffice.outgoing.service")
PIN = "123456"


def test_issued_directive_is_received_and_handled(app, hub, make_user, client, api_token,
                                                  db_session):
    from eoffice.orgs.artwork import make_seal_png, make_signature_png

    store = FileStore(app.config["STORAGE_DIR"])
    with unit_of_work():
        hub.province.seal_image = store.put(make_seal_png("ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG",
                                                          locality="Kiên Giang", diameter_mm=36))
        drafter = make_user("specialist", org=hub.province, full_name="Phạm Minh Tuấn")
        chairman = make_user("leader", org=hub.province, full_name="Trần Quốc Khánh",
                             title="Chủ tịch", identity_number="091070004567")
        chairman.signature_image = store.put(make_signature_png(chairman.full_name))
        issue_person_key(chairman, PIN)
        clerk = make_user("clerk", org=hub.province, full_name="Lê Thị Mỹ Hạnh", title="Văn thư")
    with unit_of_work():
        doc = outgoing.create_draft(
            drafter, doc_type="CT", subject="Về đẩy mạnh cải cách hành chính năm 2026",
            recipients=[RACHGIA], signer=chairman.username,
            body="Yêu cầu các cơ quan, đơn vị triển khai thực hiện nghiêm túc Chỉ thị này.")
    with unit_of_work():
        outgoing.submit(drafter, doc)
    with unit_of_work():
        outgoing.approve(chairman, doc)
    with unit_of_work():
        outgoing.sign(chairman, doc, pin=PIN)
    with unit_of_work():
        outgoing.issue(clerk, doc)
    document_id = doc.document_id
    pump()

    incoming = db_session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.document_id == document_id)).scalar_one()
    assert incoming.org_id == hub.rachgia.id and incoming.code == doc.code
    assert incoming.verification_ok is True, incoming.files[0].verdict
    headers = {"Authorization": f"Bearer {api_token(hub.clerk.username)}"}
    record = client.get(f"/api/v1/incoming/{incoming.id}", headers=headers).get_json()
    signers = [s["signer"]["name"] for s in record["signatures"]["signatures"]
               if s["kind"] == "signature"]
    assert signers == ["Trần Quốc Khánh", "Ủy ban nhân dân tỉnh Kiên Giang"]
    assert client.post(f"/api/v1/incoming/{incoming.id}/register",
                       headers=headers).status_code == 200
    leader = {"Authorization": f"Bearer {api_token(hub.leader.username)}"}
    assert client.post(f"/api/v1/incoming/{incoming.id}/assign", headers=leader, json={
        "lead": hub.specialist.username, "directive": "Văn phòng tham mưu triển khai",
        "deadline": (service.today() + timedelta(days=7)).isoformat()}).status_code == 200
    lead = {"Authorization": f"Bearer {api_token(hub.specialist.username)}"}
    assert client.post(f"/api/v1/incoming/{incoming.id}/progress", headers=lead,
                       json={"text": "Đang triển khai"}).status_code == 200
    assert client.post(f"/api/v1/incoming/{incoming.id}/complete", headers=lead,
                       json={"result": "Đã triển khai"}).status_code == 200
    pump()
    events = list(db_session.execute(sa.select(StatusEvent.status_code).where(
        StatusEvent.document_id == document_id).order_by(StatusEvent.reported_at,
                                                         StatusEvent.status_code)).scalars())
    assert events == ["01", "03", "04", "05", "06"]
    [row] = interop.delivery_statuses(document_id)
    assert (row.recipient_code, row.status_code) == (RACHGIA, "06")
