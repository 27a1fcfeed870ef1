"""Outbox, inbox and statuses against the real hub app (in process, over WSGI)."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest
import sqlalchemy as sa
from helpers import plain_pdf
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from eoffice.audit.models import AuditEvent
from eoffice.core.db import utcnow
from eoffice.core.errors import PermissionDenied
from eoffice.core.uow import unit_of_work
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.interop import edxml, service
from eoffice.interop.hub_client import HubClient
from eoffice.interop.models import DeliveryStatus, InboxMessage, OutboxMessage
from eoffice.orgs.service import get_org_by_code

PROVINCE, RACHGIA, VPCP = "000.00.00.H33", "000.00.30.H33", "000.00.00.G22"


def make_edoc(sender: str, to: list[str], number: str = "05", subject: str = "Chỉ thị") -> bytes:
    issued = date(2026, 11, 26)
    return edxml.build_edoc(edxml.EdocPacket(
        document_id=edxml.make_document_id(sender, issued, number, "CT-UBND"),
        sender=edxml.Organization(organ_id=sender, organ_name="Cơ quan gửi"),
        recipients=tuple(edxml.Organization(organ_id=c, organ_name=c) for c in to),
        code_number=number, code_notation="CT-UBND", subject=subject,
        promulgation_date=issued, type_name="Chỉ thị",
        attachments=(edxml.Attachment(content_id="1", name="ct.pdf",
                                      content_type="application/pdf", description="",
                                      data=plain_pdf()),),
    ))


@pytest.fixture
def hub(app, tmp_path, make_org):
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade_hub_db(url)
    hub_app = create_hub_app({"HUB_DATABASE_URL": url, "TESTING": True})
    with hub_app.extensions["hub"].sessions.begin() as session:
        for code, name, parent in ((PROVINCE, "UBND tỉnh", None),
                                   (RACHGIA, "UBND TP Rạch Giá", PROVINCE),
                                   (VPCP, "Văn phòng Chính phủ", None)):
            hub_service.register_agency(session, code, name, parent)
        ours = hub_service.register_system(session, "kiengiang", [PROVINCE, RACHGIA])
        peer = hub_service.register_system(session, "vpcp", [VPCP])
    wsgi = DispatcherMiddleware(Response("not found", status=404), {"/hub": hub_app})
    transport = httpx.WSGITransport(app=wsgi)
    saved = dict(app.config)
    app.config.update(HUB_SYSTEM_ID=ours[0], HUB_SECRET=ours[1], OUTBOX_MAX_ATTEMPTS=3)
    app.extensions["hub_transport"] = transport
    province = make_org(code=PROVINCE, name="Ủy ban nhân dân tỉnh Kiên Giang")
    make_org(tier="district", parent=province, code=RACHGIA)
    peer_client = HubClient("http://hub.test/hub", *peer, transport=transport)
    yield peer_client
    app.extensions.pop("hub_transport")
    app.config.clear()
    app.config.update(saved)
    hub_app.extensions["hub"].engine.dispose()


def _send(to: list[str], number: str = "05") -> OutboxMessage:
    packet = make_edoc(PROVINCE, to, number)
    with unit_of_work():
        message = service.enqueue_packet(
            packet=packet, message_type="edoc", from_code=PROVINCE, to_codes=to,
            document_id=edxml.parse_packet(packet).document_id, subject="Chỉ thị")
    return message


def test_send_reaches_the_recipient_once(hub, db_session):
    message = _send([VPCP])
    assert service.deliver(message.id) == "sent"
    assert service.deliver(message.id) == "sent"  # a second task for the same row is a no-op
    db_session.refresh(message)
    assert message.hub_doc_id and message.attempts == 1
    listed = hub.get_received_list("edoc")
    assert [i["docId"] for i in listed] == [message.hub_doc_id]
    delivery = service.delivery_statuses(message.document_id)
    assert [(d.recipient_code, d.status_code) for d in delivery] == [(VPCP, "")]


def test_hub_down_backs_off_then_dead_letter_then_resend(app, hub, db_session, make_user):
    message = _send([VPCP])

    def down(request):
        raise httpx.ConnectError("connection refused", request=request)

    app.extensions["hub_transport"], working = httpx.MockTransport(down), \
        app.extensions["hub_transport"]
    assert service.deliver(message.id) == "pending"
    db_session.refresh(message)
    assert message.attempts == 1 and message.next_attempt_at > utcnow()
    assert "thử lại" in message.last_error
    assert service.due_messages() == []  # not due before its back-off
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert service.due_messages() == [message.id]
    service.deliver(message.id)
    assert service.deliver(message.id) == "dead"  # third attempt: OUTBOX_MAX_ATTEMPTS=3
    db_session.refresh(message)
    assert "3 lần" in message.last_error

    outsider = make_user(role="clerk")
    with pytest.raises(PermissionDenied):
        service.resend(outsider, message)
    app.extensions["hub_transport"] = working
    province_clerk = make_user(role="clerk", org=get_org_by_code(PROVINCE))
    with unit_of_work():
        service.resend(province_clerk, message)
    assert service.deliver(message.id) == "sent"


def test_hub_refusal_is_a_dead_letter_at_once(hub, db_session):
    message = _send(["000.00.99.H33"])  # not in the hub's directory: error 18
    assert service.deliver(message.id) == "dead"
    db_session.refresh(message)
    assert "mã 18" in message.last_error and message.attempts == 1


def test_receive_is_idempotent_and_acknowledges_with_status_01(hub, db_session):
    packet = make_edoc(VPCP, [PROVINCE], number="7816")
    doc_id = hub.send_edoc(packet, VPCP)
    counts = service.poll()
    assert counts["edoc"] == 1
    inbox = db_session.execute(sa.select(InboxMessage)).scalars().all()
    assert [(m.hub_doc_id, m.to_code, m.state) for m in inbox] == [(doc_id, PROVINCE,
                                                                   "processed")]
    assert service.hub_client().get_received_list("edoc") == []  # acknowledged at the hub
    # the receiving software answered 01 at once, through the outbox
    status = db_session.execute(sa.select(OutboxMessage)
                                .where(OutboxMessage.message_type == "status")).scalar_one()
    assert status.status_code == "01" and status.to_codes == VPCP
    assert service.deliver(status.id) == "sent"
    statuses = hub.get_received_list("status")
    assert len(statuses) == 1 and statuses[0]["to"] == VPCP
    # nothing listed any more: polling again registers nothing twice
    assert service.poll()["edoc"] == 0
    # the same document sent again under a new hub docId is recognised as a duplicate
    hub.send_edoc(make_edoc(VPCP, [PROVINCE], number="7816", subject="Chỉ thị (gửi lại)"),
                  VPCP)
    assert service.poll()["duplicate"] == 1
    states = sorted(m.state for m in db_session.execute(sa.select(InboxMessage)).scalars())
    assert states == ["duplicate", "processed"]


def test_statuses_update_delivery_in_order(hub, db_session):
    message = _send([VPCP])
    service.deliver(message.id)
    original = edxml.parse_packet(make_edoc(PROVINCE, [VPCP]))
    response_for = service.response_for_packet(original)
    base = utcnow()

    def status(code: str, seconds: int) -> bytes:
        return edxml.build_status(edxml.StatusPacket(
            sender=edxml.Organization(organ_id=VPCP, organ_name="VPCP"),
            response_for=response_for, status_code=code, description=f"trạng thái {code}",
            timestamp=base + timedelta(seconds=seconds)))

    hub.send_edoc(status("03", 10), VPCP, messagetype="status")
    hub.send_edoc(status("01", 0), VPCP, messagetype="status")  # arrives late
    assert service.poll()["status"] == 2
    row = db_session.execute(sa.select(DeliveryStatus)).scalar_one()
    assert (row.recipient_code, row.status_code) == (VPCP, "03")


def _counting(app) -> list[str]:
    """Record the paths of the hub calls this app makes."""
    asked: list[str] = []
    inner = app.extensions["hub_transport"]

    class Counting(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            asked.append(request.url.path)
            return inner.handle_request(request)

    app.extensions["hub_transport"] = Counting()
    return asked


def test_deliver_many_sends_one_batch_and_applies_each_outcome(app, hub, db_session):
    sent_before = _send([VPCP], number="1")
    assert service.deliver(sent_before.id) == "sent"
    good, refused, other = (_send([VPCP], number="2"), _send(["000.00.99.H33"], number="3"),
                            _send([RACHGIA, VPCP], number="4"))
    asked = _counting(app)
    ids = [good.id, refused.id, sent_before.id, other.id, 987654]
    assert service.deliver_many(ids) == ["sent", "dead", "sent", "sent", "locked"]
    assert asked == ["/hub/sendEdocs"]  # one request for the three pending rows
    for message in (good, refused, sent_before, other):
        db_session.refresh(message)
    assert good.hub_doc_id and other.hub_doc_id and good.sent_at and good.last_error == ""
    assert sent_before.attempts == 1  # not pending: left alone
    assert refused.attempts == 1 and "mã 18" in refused.last_error and not refused.hub_doc_id
    assert db_session.execute(sa.select(AuditEvent.object_id).where(
        AuditEvent.action == "interop.dead_letter")).scalars().all() == [str(refused.id)]
    statuses = service.delivery_statuses(other.document_id)
    assert {(d.recipient_code, d.description) for d in statuses} == {
        (RACHGIA, "Đã gửi lên trục liên thông"), (VPCP, "Đã gửi lên trục liên thông")}
    listed = hub.get_received_list("edoc")
    assert sorted(i["docId"] for i in listed) == sorted(
        [sent_before.hub_doc_id, good.hub_doc_id, other.hub_doc_id])
    # again: nothing pending, nothing asked
    assert service.deliver_many(ids[:4]) == ["sent", "dead", "sent", "sent"]
    assert asked == ["/hub/sendEdocs"]


def test_deliver_many_backs_off_when_the_hub_is_unreachable(app, hub, db_session):
    first, second = _send([VPCP], number="1"), _send([VPCP], number="2")

    def down(request):
        raise httpx.ConnectError("connection refused", request=request)

    app.extensions["hub_transport"], working = httpx.MockTransport(down), \
        app.extensions["hub_transport"]
    assert service.deliver_many([first.id, second.id]) == ["pending", "pending"]
    for message in (first, second):
        db_session.refresh(message)
        assert message.attempts == 1 and message.next_attempt_at > utcnow()
        assert "thử lại" in message.last_error
    service.deliver_many([first.id, second.id])
    assert service.deliver_many([first.id, second.id]) == ["dead", "dead"]  # 3rd attempt
    db_session.refresh(first)
    assert "3 lần" in first.last_error
    app.extensions["hub_transport"] = working
    assert service.deliver_many([first.id, second.id]) == ["dead", "dead"]
    assert hub.get_received_list("edoc") == []
