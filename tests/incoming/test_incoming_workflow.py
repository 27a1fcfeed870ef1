"""Direction, processing, deadlines (frozen time), reminders by e-mail (aiosmtpd),
revocation / replacement / take-back received from the issuer."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from incoming_helpers import PROVINCE, RACHGIA, make_packet, pump, receive, sent_statuses

from eoffice.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from eoffice.core.uow import unit_of_work
from eoffice.incoming import service
from eoffice.incoming.models import IncomingDocument, IncomingReminder
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.notifications.models import Notification

# 09:00 on 1 December 2026 in Vietnam
DEC_1 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def _at(days: float) -> datetime:
    return DEC_1 + timedelta(days=days)


@pytest.fixture
def registered(hub, signed_pdf, db_session):
    doc = receive(make_packet(signed_pdf, number="71"))
    with unit_of_work():
        service.register(hub.clerk, doc, now=DEC_1)
    return doc


def _assign(hub, doc, deadline: date, **extra):
    with unit_of_work():
        service.assign(hub.leader, doc, lead=extra.pop("lead", hub.specialist.username),
                       deadline=deadline, now=DEC_1, **extra)


@pytest.mark.parametrize("finished, expected", [(2, "early"), (4, "on_time"), (4.6, "on_time"),
                                                (4.7, "late"),
                                                (9, "late")])
def test_completion_is_classified_against_the_deadline(hub, registered, finished, expected):
    _assign(hub, registered, date(2026, 12, 5))  # deadline: 5 December
    with unit_of_work():
        service.complete(hub.specialist, registered, "Đã xử lý", now=_at(finished))
    assert registered.timeliness == expected
    assert registered.completed_at == _at(finished)
    assert sent_statuses(registered.document_id) == ["01", "03", "04", "05", "06"]


def test_classify_edges():
    assert service.classify(date(2026, 1, 1), None) is None
    assert service.classify(date(2026, 1, 1), date(2026, 1, 2)) == "early"
    assert service.classify(date(2026, 1, 2), date(2026, 1, 2)) == "on_time"
    assert service.classify(date(2026, 1, 3), date(2026, 1, 2)) == "late"


def test_assignment_rules(hub, registered, make_user):
    with pytest.raises(ValidationFailed, match="quá khứ"):
        _assign(hub, registered, date(2026, 11, 30))
    outsider = make_user("specialist", org=hub.ward)
    with pytest.raises(ValidationFailed, match="không thuộc"):
        _assign(hub, registered, date(2026, 12, 5), lead=outsider.username)
    with pytest.raises(PermissionDenied):
        service.assign(hub.clerk, registered, lead=hub.specialist.username)
    assert registered.status == "accepted" and registered.assignments == []
    _assign(hub, registered, date(2026, 12, 5), cooperate=[hub.specialist_nv.username])
    assert registered.status == "assigned"
    # a cooperating handler reports progress (05 once) but cannot complete
    with unit_of_work():
        service.add_note(hub.specialist_nv, registered, "Phòng Nội vụ đã góp ý")
        service.add_note(hub.specialist, registered, "Đang tổng hợp")
    assert registered.status == "processing"
    with pytest.raises(PermissionDenied, match="chủ trì"):
        service.complete(hub.specialist_nv, registered, "Xong")
    assert sent_statuses(registered.document_id) == ["01", "03", "04", "05"]
    with unit_of_work():
        service.complete(hub.specialist, registered, "Xong", now=_at(1))
    with pytest.raises(InvalidTransition):
        service.add_note(hub.specialist, registered, "sau khi xong")


def test_unit_head_reassigns_inside_the_unit(hub, registered):
    _assign(hub, registered, date(2026, 12, 5), lead=f"unit:{hub.unit_vp.id}")
    with pytest.raises(PermissionDenied):
        service.complete(hub.specialist, registered, "Xong")  # not (yet) the lead
    with pytest.raises(ValidationFailed, match="trong đơn vị"):
        service.reassign(hub.head_vp, registered, user=hub.specialist_nv.username)
    with pytest.raises(ValidationFailed, match="sau hạn"):
        service.reassign(hub.head_vp, registered, user=hub.specialist.username,
                         deadline=date(2026, 12, 9), now=DEC_1)
    with pytest.raises(PermissionDenied):
        service.reassign(hub.specialist, registered, user=hub.specialist.username)
    with unit_of_work():
        item = service.reassign(hub.head_vp, registered, user=hub.specialist.username,
                                deadline=date(2026, 12, 4), now=DEC_1)
    assert item.role == "lead" and item.parent_id is not None
    with unit_of_work():
        service.complete(hub.specialist, registered, "Xong", now=_at(3))
    assert registered.status == "completed" and registered.timeliness == "early"


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf-8",
                                                                               "replace")))
        return "250 OK"


@pytest.fixture
def smtp(app):
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    saved = {k: app.config.get(k) for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    yield inbox
    app.config.update(saved)
    controller.stop()


def test_reminders_and_escalation_are_sent_once(hub, registered, smtp, db_session):
    _assign(hub, registered, date(2026, 12, 5), lead=hub.specialist.username,
            cooperate=[f"unit:{hub.unit_vp.id}"])
    with unit_of_work():
        assert service.remind_deadlines(now=_at(1)) == {"reminder": 0, "overdue": 0}
    with unit_of_work():  # 4 December: one day before
        assert service.remind_deadlines(now=_at(3)) == {"reminder": 2, "overdue": 0}
    with unit_of_work():  # the beat runs again: nothing new
        assert service.remind_deadlines(now=_at(3.2)) == {"reminder": 0, "overdue": 0}
    reminded = {to[0] for to, _ in smtp.messages}
    assert reminded == {"cv.rg@example.vn", "tp.vp@example.vn"}
    assert all("Sắp đến hạn" in body or "=?utf-8?" in body for _, body in smtp.messages)
    smtp.messages.clear()
    with unit_of_work():  # 6 December: overdue, escalated to the unit head and the leader
        assert service.remind_deadlines(now=_at(5)) == {"reminder": 0, "overdue": 2}
    with unit_of_work():
        assert service.remind_deadlines(now=_at(6)) == {"reminder": 0, "overdue": 0}
    escalated = {to[0] for to, _ in smtp.messages}
    assert escalated == {"cv.rg@example.vn", "tp.vp@example.vn", "ld.rg@example.vn"}
    leader_notes = db_session.execute(sa.select(Notification).where(
        Notification.user_id == hub.leader.id, Notification.kind == "incoming.overdue")
    ).scalars().all()
    assert len(leader_notes) == 2 and "Quá hạn" in leader_notes[0].text
    assert db_session.execute(sa.select(sa.func.count()).select_from(IncomingReminder)
                              ).scalar_one() == 4
    # completed work is never chased
    with unit_of_work():
        service.complete(hub.specialist, registered, "Xong", now=_at(7))
    assert registered.timeliness == "late"


def test_each_person_is_notified_in_their_own_language(hub, registered, smtp, db_session):
    # the leader reads eoffice in English, the specialist in Vietnamese: the same overdue
    # escalation reaches each in their language, in the app and by e-mail
    import email

    with unit_of_work():
        hub.leader.locale = "en"
    _assign(hub, registered, date(2026, 12, 5), lead=hub.specialist.username)
    with unit_of_work():
        assert service.remind_deadlines(now=_at(5))["overdue"] == 1

    def texts(user):
        return [n.text for n in db_session.execute(sa.select(Notification).where(
            Notification.user_id == user.id, Notification.kind == "incoming.overdue"))
            .scalars()]

    leader, = texts(hub.leader)
    specialist, = texts(hub.specialist)
    assert leader.startswith("Overdue (lead ") and ", due 05/12/2026): " in leader
    assert specialist.startswith("Quá hạn xử lý (chủ trì ")
    mails = {to[0]: email.message_from_string(raw) for to, raw in smtp.messages}
    english = mails["ld.rg@example.vn"]
    assert str(email.header.make_header(email.header.decode_header(english["Subject"]))
               ).startswith("Overdue (")
    assert "Electronic Office (automatic message" in english.get_payload(decode=True).decode()
    vietnamese = mails["cv.rg@example.vn"].get_payload(decode=True).decode()
    assert "Quá hạn xử lý" in vietnamese and "Văn phòng điện tử (thư tự động" in vietnamese
    # an account whose language is not one we have reads Vietnamese (nothing fails)
    from eoffice.notifications.service import notify

    with unit_of_work():
        hub.specialist.locale = "xx"
        note = notify(hub.specialist, "test", lambda: service._label(registered))
    assert note.text.endswith(registered.subject)


def test_remind_task_runs_in_its_own_unit_of_work(hub, registered, app):
    from eoffice.incoming.tasks import remind_deadlines

    assert remind_deadlines.name == "eoffice.incoming.remind_deadlines"
    assert app.config["BEAT_SCHEDULE"]["remind-deadlines"]["task"] == remind_deadlines.name
    assert remind_deadlines.run() == {"reminder": 0, "overdue": 0}


def test_urgent_document_notifies_at_once_by_email(hub, signed_pdf, smtp, db_session):
    doc = receive(make_packet(signed_pdf, number="72", priority=3))
    assert doc.is_urgent
    assert [to for to, _ in smtp.messages] == [["vt.rg@example.vn"]]
    with unit_of_work():
        service.register(hub.clerk, doc)
    assert ["ld.rg@example.vn"] in [to for to, _ in smtp.messages]


def test_revocation_freezes_the_document_with_a_log(hub, signed_pdf, db_session):
    doc = receive(make_packet(signed_pdf, number="81"))
    with unit_of_work():
        service.register(hub.clerk, doc)
    receive(make_packet(signed_pdf, number="81", notation="TB-UBND", business_doc_type=1,
                        business_document_id=doc.document_id))
    db_session.refresh(doc)
    assert doc.status == "revoked" and "thu hồi" in doc.notes[-1].text
    assert sent_statuses(doc.document_id)[-1] == "15"
    with pytest.raises(InvalidTransition):
        service.assign(hub.leader, doc, lead=hub.specialist.username)
    revocations = db_session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == hub.rachgia.id)).scalars().all()
    assert revocations == [doc]  # the revocation notice is not a new document


def test_replacement_links_and_freezes_the_earlier_document(hub, signed_pdf, db_session):
    old = receive(make_packet(signed_pdf, number="82"))
    new = receive(make_packet(signed_pdf, number="83", business_doc_type=3,
                              business_document_id=old.document_id))
    db_session.refresh(old)
    assert old.status == "replaced" and new.replaces_id == old.id
    assert new.status == "received"


def test_take_back_request_accepted_or_refused(hub, signed_pdf, db_session):
    first = receive(make_packet(signed_pdf, number="84"))
    second = receive(make_packet(signed_pdf, number="85"))
    for doc in (first, second):
        packet = edxml.build_status(edxml.StatusPacket(
            sender=edxml.Organization(organ_id=PROVINCE, organ_name="UBND tỉnh"),
            # the hub routes a status to ResponseFor/OrganId: here the recipient body
            response_for=edxml.ResponseFor(organ_id=RACHGIA, code=doc.code,
                                           promulgation_date=doc.issued_date,
                                           document_id=doc.document_id),
            status_code="13", description="Gửi nhầm, đề nghị trả lại",
            timestamp=datetime.now(UTC)), signer=interop.packet_signer(PROVINCE))
        with unit_of_work():  # the issuer's clerk asks the recipient to give it back
            interop.enqueue_packet(packet=packet, message_type="status", from_code=PROVINCE,
                                   to_codes=[RACHGIA], document_id=doc.document_id,
                                   status_code="13")
    pump()
    db_session.refresh(first)
    db_session.refresh(second)
    assert first.takeback_reason == "Gửi nhầm, đề nghị trả lại"
    with pytest.raises(PermissionDenied):
        service.answer_takeback(hub.specialist, first, accept=True)
    with pytest.raises(ValidationFailed):
        service.answer_takeback(hub.clerk, second, accept=False, reason="")
    with unit_of_work():
        service.answer_takeback(hub.clerk, first, accept=True)
        service.answer_takeback(hub.clerk, second, accept=False, reason="Đã trình lãnh đạo")
    assert first.status == "withdrawn" and second.status == "received"
    assert second.takeback_reason is None
    assert sent_statuses(first.document_id) == ["01", "15"]
    assert sent_statuses(second.document_id) == ["01", "16"]
    pump()
    codes = {row.status_code for row in interop.delivery_statuses(second.document_id)
             if row.recipient_code == RACHGIA}
    assert codes == {"16"}

