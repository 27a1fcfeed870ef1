"""Receipt through the hub (verify on arrival, 01, duplicates), register (03), refuse (02),
paper intake (shared số đến)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from helpers import plain_pdf
from incoming_helpers import (
    RACHGIA,
    WARD,
    make_packet,
    pump,
    receive,
    sent_statuses,
    tamper,
)
from PIL import Image

from eoffice.audit.models import AuditEvent
from eoffice.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.incoming import service
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import service as interop
from eoffice.notifications.models import Notification


def test_packet_becomes_received_document_with_verified_signatures(hub, signed_pdf,
                                                                    db_session):
    doc = receive(make_packet(signed_pdf))
    assert doc is not None and doc.status == "received" and doc.source == "electronic"
    assert doc.org_id == hub.rachgia.id
    assert (doc.issuer_code, doc.number, doc.notation) == ("000.00.00.H33", "05", "CT-UBND")
    assert doc.subject.startswith("Chỉ thị về đẩy mạnh")
    assert doc.signer_name == "Trần Quốc Khánh" and doc.type_name == "Chỉ thị"
    [pdf] = doc.files
    report = service.report_of(pdf)
    assert report["valid"] is True and pdf.valid is True
    assert report["signatures"][0]["trusted"] is True
    assert doc.verification_ok is True and doc.duplicate_of_id is None
    assert service.store().get(pdf.digest) == signed_pdf
    assert sent_statuses(doc.document_id) == ["01"]  # answered at once, once
    clerk_notes = db_session.execute(sa.select(Notification).where(
        Notification.user_id == hub.clerk.id)).scalars().all()
    assert len(clerk_notes) == 1 and "05/CT-UBND" in clerk_notes[0].text
    # one audit event for the arrival, naming the inbox row (interop writes none of its own)
    [event] = db_session.execute(sa.select(AuditEvent).where(
        AuditEvent.action.in_(("incoming.received", "interop.received")))).scalars()
    assert event.action == "incoming.received" and event.object_id == str(doc.id)
    details = json.loads(event.details)
    assert details["inbox_id"] == doc.inbox_id and details["hub_doc_id"]
    assert (details["from"], details["to"]) == ("000.00.00.H33", RACHGIA)


def test_tampered_pdf_is_shown_invalid_and_can_be_refused(hub, signed_pdf, db_session):
    doc = receive(make_packet(tamper(signed_pdf), number="06"))
    assert doc.verification_ok is False
    assert doc.files[0].valid is False
    assert "không hợp lệ" in doc.files[0].verdict
    with pytest.raises(ValidationFailed):
        service.refuse(hub.clerk, doc, "   ")
    assert doc.status == "received"
    with unit_of_work():
        service.refuse(hub.clerk, doc, "Chữ ký số không hợp lệ (văn bản bị sửa đổi)")
    assert doc.status == "refused"
    assert sent_statuses(doc.document_id) == ["01", "02"]
    with pytest.raises(InvalidTransition):
        service.register(hub.clerk, doc)


def test_unsigned_and_wrong_recipient_are_red(hub, signed_pdf, db_session):
    doc = receive(make_packet(plain_pdf(), number="07"))
    assert doc.verification_ok is False
    assert "không có chữ ký" in doc.files[0].verdict
    # a packet whose To does not name us, with a broken packet signature
    from eoffice.interop import edxml
    from eoffice.interop.models import InboxMessage

    packet = edxml.parse_packet(make_packet(signed_pdf, number="08", to=(WARD,)))
    with unit_of_work():
        inbox = InboxMessage(hub_doc_id="x-08", to_code=RACHGIA, message_type="edoc",
                             signature_valid=False, signature_note="chữ ký gói tin sai")
        db_session.add(inbox)
        db_session.flush()
        wrong = service.receive_packet(inbox, packet)
    assert wrong.wrong_recipient and wrong.packet_signature_valid is False
    assert wrong.files[0].valid is True and wrong.verification_ok is False


def test_register_gives_next_incoming_number_and_status_03(hub, signed_pdf, db_session):
    first = receive(make_packet(signed_pdf, number="11"))
    second = receive(make_packet(signed_pdf, number="12"))
    with pytest.raises(PermissionDenied):
        service.register(hub.specialist, first)
    with unit_of_work():
        service.register(hub.clerk, first)
        service.register(hub.clerk, second)
    assert (first.status, second.status) == ("accepted", "accepted")
    assert second.incoming_number == first.incoming_number + 1
    assert first.arrival_date == service.today()
    assert sent_statuses(first.document_id) == ["01", "03"]
    with pytest.raises(InvalidTransition) as exc:
        service.register(hub.clerk, first)
    assert "không vào sổ hai lần" in exc.value.message
    leader_notes = db_session.execute(sa.select(Notification).where(
        Notification.user_id == hub.leader.id)).scalars().all()
    assert len(leader_notes) == 2


def test_duplicate_number_notation_issuer_is_flagged_and_never_registered_twice(
        hub, signed_pdf, db_session):
    doc = receive(make_packet(signed_pdf, number="21"))
    with unit_of_work():
        service.register(hub.clerk, doc)
    # the same number + notation + issuer under another DocumentId (another date)
    from datetime import date
    again = receive(make_packet(signed_pdf, number="21", issued=date(2026, 11, 21)))
    assert again.duplicate_of_id == doc.id
    with pytest.raises(Conflict) as exc:
        service.register(hub.clerk, again)
    assert "trùng" in exc.value.message
    assert again.status == "received" and again.incoming_number is None


def test_the_later_twin_registered_first_blocks_the_earlier(hub, signed_pdf, db_session):
    from datetime import date
    first = receive(make_packet(signed_pdf, number="24"))
    second = receive(make_packet(signed_pdf, number="24", issued=date(2026, 11, 22)))
    assert second.duplicate_of_id == first.id and first.duplicate_of_id is None
    with unit_of_work():
        service.register(hub.clerk, second)
    with pytest.raises(Conflict):
        service.register(hub.clerk, first)


def test_same_document_id_twice_is_not_a_second_document(hub, signed_pdf, db_session):
    packet = make_packet(signed_pdf, number="22")
    first = receive(packet)
    receive(packet)  # the same bytes again: the hub answers with the same docId
    # re-built and re-sent (other bytes, same DocumentId): interop keeps it as a duplicate
    receive(make_packet(signed_pdf, number="22", subject="Chỉ thị (gửi lại)"))
    rows = db_session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.document_id == first.document_id)).scalars().all()
    assert rows == [first]
    assert service.repeated_arrivals(first) == 1
    # a resend (the same files) tells nobody anything
    assert _duplicate_notices(hub) == [] and not first.notes


def _duplicate_notices(hub) -> list[str]:  # type: ignore[no-untyped-def]
    return list(db.session.execute(sa.select(Notification.text).where(
        Notification.user_id == hub.clerk.id, Notification.kind == "incoming.duplicate"))
        .scalars())


def test_other_files_under_a_known_document_id_are_not_lost_silently(hub, signed_pdf,
                                                                   db_session):
    first = receive(make_packet(signed_pdf, number="24"))
    # the issuer used number 24 twice: same DocumentId, another document
    other = make_packet(plain_pdf("Chi thi khac, cung so 24"), number="24",
                        subject="Chỉ thị về phòng, chống thiên tai")
    receive(other)
    assert db_session.execute(sa.select(sa.func.count()).select_from(IncomingDocument).where(
        IncomingDocument.document_id == first.document_id)).scalar_one() == 1  # not registered
    [notice] = _duplicate_notices(hub)
    assert notice.startswith("Văn bản trùng mã định danh với văn bản đã nhận nhưng khác")
    [note] = [n for n in first.notes if n.kind == "system"]
    assert "Chỉ thị về phòng, chống thiên tai" in note.text and "khác nội dung" in note.text


def test_status_01_reaches_the_sender(hub, signed_pdf, db_session):
    doc = receive(make_packet(signed_pdf, number="23"))
    pump()
    [row] = interop.delivery_statuses(doc.document_id)
    assert (row.recipient_code, row.status_code) == (RACHGIA, "01")


def _jpeg(color: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 280), color).save(out, "JPEG")
    return out.getvalue()


def test_paper_intake_shares_the_register(hub, signed_pdf, db_session):
    electronic = receive(make_packet(signed_pdf, number="31"))
    meta = service.PaperMeta.from_mapping({
        "issuer_name": "Sở Tài chính tỉnh Kiên Giang", "number": "120", "notation": "STC-NS",
        "issued_date": "2026-11-18", "type_name": "Công văn", "subject": "Về dự toán ngân sách"})
    with unit_of_work():
        paper = service.intake_paper(hub.clerk, hub.rachgia, meta,
                                     [("p1.jpg", _jpeg((250, 250, 250))),
                                      ("p2.png", _jpeg((240, 240, 240)))])
        service.register(hub.clerk, electronic)
        service.register(hub.clerk, paper)
    assert paper.source == "paper" and paper.files[0].digest
    assert service.store().get(paper.files[0].digest).startswith(b"%PDF-")
    assert paper.incoming_number == electronic.incoming_number + 1
    assert sent_statuses(electronic.document_id) == ["01", "03"]
    assert paper.verification_ok is None and paper.duplicate_of_id is None
    with unit_of_work():  # the same paper document keyed in again is flagged
        again = service.intake_paper(hub.clerk, hub.rachgia, meta, [("scan.pdf", plain_pdf())])
    assert again.duplicate_of_id == paper.id


def test_paper_intake_bad_input(hub, db_session):
    meta = service.PaperMeta.from_mapping({"issuer_name": "Sở", "subject": "Về việc"})
    with pytest.raises(PermissionDenied):
        service.intake_paper(hub.specialist, hub.rachgia, meta, [("a.pdf", plain_pdf())])
    with pytest.raises(ValidationFailed):
        service.intake_paper(hub.clerk, hub.rachgia, meta, [("a.txt", b"hello")])
    with pytest.raises(ValidationFailed):
        service.PaperMeta.from_mapping({"issuer_name": "Sở", "subject": ""})
    with pytest.raises(ValidationFailed):
        service.PaperMeta.from_mapping({"issuer_name": "Sở", "subject": "x",
                                        "issued_date": "26/11/2026"})


def test_other_bodies_cannot_see_or_act(hub, signed_pdf, db_session):
    doc = receive(make_packet(signed_pdf, number="41"))
    with pytest.raises(NotFound):
        service.get_document(hub.ward_clerk, doc.id)
    with pytest.raises(PermissionDenied):
        service.register(hub.province_clerk, doc)
    with pytest.raises(PermissionDenied):
        service.get_document(hub.specialist, doc.id)  # same body, not assigned
    assert service.get_document(hub.clerk, doc.id) is doc
    assert service.get_document(hub.leader, doc.id) is doc


def test_register_uses_the_local_year(hub, signed_pdf, db_session):
    doc = receive(make_packet(signed_pdf, number="51"))
    new_year_eve_utc = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 01:00 on 1/1 in Vietnam
    with unit_of_work():
        service.register(hub.clerk, doc, now=new_year_eve_utc)
    assert doc.incoming_year == 2027 and doc.incoming_number == 1
