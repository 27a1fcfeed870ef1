"""Outgoing service: draft → review → sign → issue → dispatch, and every refusal."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from outgoing_helpers import HATIEN, MANUAL_LAYOUT, PIN, RACHGIA, attachment_pdf, uploaded_pdf

from eoffice.core.errors import (
    Conflict,
    InvalidTransition,
    PermissionDenied,
    TooLarge,
    ValidationFailed,
)
from eoffice.core.uow import unit_of_work
from eoffice.documents.keys import verify_pdf
from eoffice.interop import edxml
from eoffice.interop.models import OutboxMessage
from eoffice.outgoing import service
from eoffice.outgoing.models import OutgoingRegisterEntry

BODY = ("Thời gian qua, công tác cải cách hành chính đạt nhiều kết quả.\n\n"
        "Yêu cầu các cơ quan thực hiện.")


def compose(world, **extra):
    meta = dict(doc_type="CT", subject="Về đẩy mạnh cải cách hành chính",
                recipients=[RACHGIA, HATIEN], signer=world.leader.username, body=BODY)
    meta.update(extra)
    with unit_of_work():
        return service.create_draft(world.drafter, **meta)


def to_signed(world, doc):
    with unit_of_work():
        service.submit(world.drafter, doc)
    with unit_of_work():
        service.approve(world.leader, doc)
    with unit_of_work():
        service.sign(world.leader, doc, pin=PIN)
    return doc


def outbox_rows(doc):
    from eoffice.extensions import db

    return list(db.session.execute(sa.select(OutboxMessage).where(
        OutboxMessage.source_type == "outgoing", OutboxMessage.source_id == doc.id)).scalars())


def test_full_journey_composed_directive(world, db_session):
    doc = compose(world, attachments=[("phu-luc.pdf", attachment_pdf())])
    assert doc.status == "draft" and doc.source == "compose" and doc.layout_detected
    to_signed(world, doc)
    assert doc.status == "signed"
    with unit_of_work():
        service.issue(world.clerk, doc)
    assert doc.status == "sent"
    assert doc.number_text == "01" and doc.notation == "CT-UBND" and doc.code == "01/CT-UBND"
    assert doc.document_id.startswith("000.00.00.H33,") and doc.document_id.endswith(",01/CT-UBND")
    report = verify_pdf(service.current_pdf(doc))
    assert report["valid"], report
    kinds = [s["kind"] for s in report["signatures"]]
    assert kinds == ["signature", "signature", "document_timestamp"]
    leader, body = report["signatures"][:2]
    assert leader["docmdp"] == 2 and leader["signer"]["name"] == "Trần Quốc Khánh"
    assert body["signer"]["name"] == "Ủy ban nhân dân tỉnh Kiên Giang"
    # separate attachment sealed with its info text
    sealed = world.store.get(doc.attachments[0].sealed_digest)
    assert verify_pdf(sealed)["valid"]
    # one packet per recipient, the PDFs inside, signed by the body
    rows = outbox_rows(doc)
    assert sorted(r.to_codes for r in rows) == [RACHGIA, HATIEN]
    packet = edxml.parse_packet(world.store.get(rows[0].packet_digest))
    assert packet.code_number == "01" and packet.code_notation == "CT-UBND"
    assert packet.attachments[0].data == service.current_pdf(doc)
    assert len(packet.attachments) == 2 and set(packet.to_places) == {
        "Ủy ban nhân dân thành phố Rạch Giá", "Ủy ban nhân dân thành phố Hà Tiên"}
    entry = db_session.execute(sa.select(OutgoingRegisterEntry)).scalar_one()
    assert entry.code == "01/CT-UBND" and entry.signer_name == "Trần Quốc Khánh"
    reasons = [v.reason for v in doc.versions]
    assert reasons == ["compose", "signed", "issued"]
    assert [e.action for e in doc.events] == ["create", "submit", "approve", "sign", "issue",
                                              "send"]
    # the next document of the year takes 02
    doc2 = to_signed(world, compose(world))
    with unit_of_work():
        service.issue(world.clerk, doc2)
    assert doc2.number_text == "02"
    with pytest.raises(InvalidTransition):
        with unit_of_work():
            service.issue(world.clerk, doc2)


def test_cong_van_notation_uses_the_drafting_unit(world):
    doc = to_signed(world, compose(world, doc_type="CV", subject="Về việc báo cáo số liệu"))
    with unit_of_work():
        service.issue(world.clerk, doc)
    assert doc.code == "01/UBND-TH"


def test_tsa_down_at_issue_consumes_no_number(app, world, db_session):
    doc = to_signed(world, compose(world))
    app.config.update(SIGNING_TSA_URL="http://127.0.0.1:9/tsa", SIGNING_TSA_TIMEOUT=1.0)
    try:
        with pytest.raises(Conflict) as info:
            with unit_of_work():
                service.issue(world.clerk, doc)
    finally:
        app.config.pop("SIGNING_TSA_URL")
    assert "dấu thời gian" in info.value.message
    db_session.expire_all()
    assert doc.status == "signed" and doc.number is None and doc.issued_at is None
    assert outbox_rows(doc) == []
    assert db_session.execute(sa.select(sa.func.count(OutgoingRegisterEntry.id))).scalar() == 0
    with unit_of_work():
        service.issue(world.clerk, doc)
    assert doc.number_text == "01"


def test_confidential_is_numbered_in_its_own_register_and_never_sent(world):
    plain = to_signed(world, compose(world))
    with unit_of_work():
        service.issue(world.clerk, plain)
    secret = to_signed(world, compose(world, confidentiality="mat"))
    with unit_of_work():
        service.issue(world.clerk, secret)
    assert secret.status == "issued" and secret.number_text == "01"
    assert secret.register_id != plain.register_id and secret.register.confidential
    assert outbox_rows(secret) == []
    with pytest.raises(Conflict) as info:
        with unit_of_work():
            service.send(world.clerk, secret)
    assert "QĐ 28/2018/QĐ-TTg" in info.value.message
    assert info.value.details["reason"] == "confidential"


def test_upload_detects_number_and_date_positions(world):
    with unit_of_work():
        doc = service.create_draft(world.drafter, doc_type="CT", subject="Chỉ thị",
                                   recipients=[RACHGIA], signer=world.leader.username,
                                   file=uploaded_pdf(), filename="ct.pdf")
    assert doc.layout_detected and doc.source == "upload"
    layout = service.layout_from_json(doc.layout_json)
    baseline = 841.89 - 110
    assert layout.number_box.x0 > 100 and layout.number_box.y0 < baseline < layout.number_box.y1
    assert 320 <= layout.date_box.x0 < 330
    assert layout.leader_box.y0 > 841.89 - 560 and layout.leader_box.y1 < 841.89 - 440
    to_signed(world, doc)
    with unit_of_work():
        service.issue(world.clerk, doc)
    assert verify_pdf(service.current_pdf(doc))["valid"]


def test_undetected_layout_blocks_submit_until_placed(world):
    with unit_of_work():
        doc = service.create_draft(world.drafter, doc_type="CT", subject="Chỉ thị",
                                   recipients=[RACHGIA], signer=world.leader.username,
                                   file=uploaded_pdf(with_date=False))
    assert not doc.layout_detected and doc.layout_json == ""
    with pytest.raises(ValidationFailed):
        with unit_of_work():
            service.submit(world.drafter, doc)
    assert doc.status == "draft"
    with unit_of_work():
        service.set_layout(world.drafter, doc, MANUAL_LAYOUT)
        service.submit(world.drafter, doc)
    assert doc.status == "in_review" and doc.review_stage == "leader"


def test_review_through_the_unit_head_and_return_with_comment(world, make_user):
    head = make_user(role="head", org=world.province, unit=world.unit)
    doc = compose(world)
    with unit_of_work():
        service.submit(world.drafter, doc)
    assert doc.review_stage == "head"
    with pytest.raises(PermissionDenied):
        service.approve(world.leader, doc)
    with unit_of_work():
        service.approve(head, doc, comment="Đồng ý, trình lãnh đạo")
    assert doc.status == "in_review" and doc.review_stage == "leader"
    with pytest.raises(ValidationFailed):
        service.return_draft(world.leader, doc, comment="  ")
    with unit_of_work():
        service.return_draft(world.leader, doc, comment="Sửa lại đoạn 2")
    assert doc.status == "returned"
    with unit_of_work():
        service.update_draft(world.drafter, doc, body=BODY + "\n\nĐoạn bổ sung.")
        service.submit(world.drafter, doc)
    with unit_of_work():
        service.approve(head, doc)
        service.approve(world.leader, doc)
    assert doc.status == "approved"
    with unit_of_work():
        service.return_draft(world.leader, doc, comment="Chưa ký, cần bổ sung số liệu")
    assert doc.status == "returned"
    comments = [(e.action, e.comment) for e in doc.events if e.comment]
    assert ("return", "Sửa lại đoạn 2") in comments
    assert ("forward", "Đồng ý, trình lãnh đạo") in comments
    assert [v.reason for v in doc.versions] == ["compose", "edit"]


def test_wrong_pin_and_wrong_signer(world, make_user):
    other_leader = make_user(role="leader", org=world.province)
    doc = compose(world)
    with unit_of_work():
        service.submit(world.drafter, doc)
        service.approve(world.leader, doc)
    with pytest.raises(ValidationFailed) as info:
        service.sign(world.leader, doc, pin="000000")
    assert info.value.message == "Mã PIN không đúng."
    with pytest.raises(PermissionDenied):
        service.sign(other_leader, doc, pin=PIN)
    assert doc.status == "approved" and len(doc.versions) == 1


def test_bad_input_is_refused(world, app):
    base = dict(doc_type="CT", subject="Chỉ thị", recipients=[RACHGIA],
                signer=world.leader.username)
    cases = [
        (dict(file=b"hello, not a pdf"), "PDF hoặc DOCX"),
        (dict(file=b"%PDF-1.7\n1 0 obj broken"), "không hợp lệ"),
        (dict(base, doc_type="XX", body=BODY), "Loại văn bản"),
        (dict(base, subject="  ", body=BODY), "Trích yếu"),
        (dict(base, recipients=["000.99.99.H99"], body=BODY), "không có trong danh bạ"),
        (dict(base, signer=world.clerk.username, body=BODY), "Người ký"),
        (dict(base, urgency="rat_khan", body=BODY), "Độ khẩn"),
    ]
    for extra, message in cases:
        meta = dict(base, **extra)
        with pytest.raises(ValidationFailed) as info:
            with unit_of_work():
                service.create_draft(world.drafter, **meta)
        assert message in info.value.message, (extra, info.value.message)
    app.config["MAX_CONTENT_LENGTH"], saved = 1000, app.config["MAX_CONTENT_LENGTH"]
    try:
        with pytest.raises(TooLarge):
            service.create_draft(world.drafter, **base, file=uploaded_pdf())
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    from eoffice.extensions import db
    from eoffice.outgoing.models import OutgoingDocument

    assert db.session.execute(sa.select(sa.func.count(OutgoingDocument.id))).scalar() == 0


def test_encrypted_pdf_is_refused(world):
    import io

    from pyhanko.pdf_utils.crypt import StandardSecurityHandler
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.pdf_utils.writer import copy_into_new_writer

    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(uploaded_pdf())))
    writer.encrypt = None
    writer.security_handler = StandardSecurityHandler.build_from_pw("secret", "secret")
    writer._assign_security_handler(writer.security_handler)
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(ValidationFailed) as info:
        service.create_draft(world.drafter, doc_type="CT", subject="x", recipients=[RACHGIA],
                             signer=world.leader.username, file=out.getvalue())
    assert "mã hóa" in info.value.message


def test_batch_sign_reports_per_document(world):
    first, second, third = compose(world), compose(world), compose(world)
    for doc in (first, second):
        with unit_of_work():
            service.submit(world.drafter, doc)
            service.approve(world.leader, doc)
    with unit_of_work():
        results = service.sign_batch(world.leader, [first.id, third.id, second.id], pin=PIN)
    assert [(r.id, r.ok) for r in results] == [(first.id, True), (third.id, False),
                                               (second.id, True)]
    assert "Dự thảo" in results[1].message
    assert first.status == "signed" and second.status == "signed" and third.status == "draft"


def test_batch_sign_wrong_pin_signs_nothing(world):
    doc = compose(world)
    with unit_of_work():
        service.submit(world.drafter, doc)
        service.approve(world.leader, doc)
    with unit_of_work():
        results = service.sign_batch(world.leader, [doc.id], pin="999999")
    assert not results[0].ok and "PIN" in results[0].message
    assert doc.status == "approved"


def test_two_step_external_signing(world):
    import signing
    from eoffice.documents import keys

    doc = compose(world)
    with unit_of_work():
        service.submit(world.drafter, doc)
        service.approve(world.leader, doc)
    key = keys.load_signer_key(keys.active_key("user", world.leader.id), PIN)
    with unit_of_work():
        request = service.prepare_external_signing(world.leader, doc,
                                                   certificate=key.certificate.dump())
    raw = signing.sign_external_request(request, key)
    with pytest.raises(ValidationFailed):
        service.complete_external_signing(world.leader, doc, signature=b"\x00" * 256)
    with unit_of_work():
        service.complete_external_signing(world.leader, doc, signature=raw)
    assert doc.status == "signed"
    with unit_of_work():
        service.issue(world.clerk, doc)
    assert verify_pdf(service.current_pdf(doc))["valid"]


def test_revoke_and_replace_send_business_packets(world):
    old = to_signed(world, compose(world))
    with unit_of_work():
        service.issue(world.clerk, old)
    new = to_signed(world, compose(world, subject="Thay thế chỉ thị 01"))
    with unit_of_work():
        service.issue(world.clerk, new, replaces=old)
    assert old.status == "replaced" and old.replaced_by_id == new.id
    packet = edxml.parse_packet(world.store.get(outbox_rows(new)[0].packet_digest))
    assert packet.business_doc_type == 3 and packet.replaces == (old.document_id,)
    with pytest.raises(InvalidTransition):
        service.revoke(world.clerk, old, reason="x")
    with pytest.raises(PermissionDenied):
        service.revoke(world.leader, new, reason="Sai thẩm quyền")
    with unit_of_work():
        service.revoke(world.clerk, new, reason="Ban hành sai thẩm quyền")
    assert new.status == "revoked"
    revocations = [edxml.parse_packet(world.store.get(r.packet_digest))
                   for r in outbox_rows(new)]
    assert sorted(p.business_doc_type for p in revocations) == [1, 1, 3, 3]


def test_date_line_follows_decree_30():
    assert service.date_line("Kiên Giang", date(2026, 1, 5)) == \
        "Kiên Giang, ngày 05 tháng 01 năm 2026"
    assert service.date_line("Kiên Giang", date(2026, 11, 26)) == \
        "Kiên Giang, ngày 26 tháng 11 năm 2026"
    assert service.date_line("Rạch Giá", date(2026, 3, 9)) == \
        "Rạch Giá, ngày 09 tháng 3 năm 2026"


def test_other_body_cannot_see_a_draft(world, make_org, make_user):
    doc = compose(world)
    outsider = make_user(role="leader", org=make_org())
    from eoffice.core.errors import NotFound

    with pytest.raises(NotFound):
        service.load_for(outsider, doc.id)
