"""A directive of the province arrives at TP Rạch Giá and is handled in a real browser:
the clerk sees it verified and registers it, the chairman directs it, the specialist
reports progress and completes it; statuses 01 → 03 → 04 → 05 → 06 go back."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from browser_steps import sign_in, sign_out
from fpdf import FPDF

import signing
from eoffice.core.uow import unit_of_work
from eoffice.documents import keys
from eoffice.extensions import db
from eoffice.incoming import service
from eoffice.interop import edxml
from eoffice.interop.models import InboxMessage, OutboxMessage
from eoffice.orgs.service import get_org_by_code

pytestmark = pytest.mark.browser
PROVINCE, RACHGIA = "000.00.00.H33", "000.00.30.H33"


def _arrive(app, number: str) -> tuple[int, str]:
    """The province's signed directive reaches the city (the receipt hook, as a poll would).

    In a thread of its own: Playwright keeps an event loop running in this one, and the
    synchronous signing and validation API refuses to run inside an event loop."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_arrive_now, app, number).result()


def _arrive_now(app, number: str) -> tuple[int, str]:
    with app.app_context():
        with unit_of_work():
            province = get_org_by_code(PROVINCE)
            pdf = FPDF()
            pdf.add_page()
            pdf.set_font("helvetica", size=12)
            pdf.cell(text=f"Chi thi so {number}/CT-UBND ve cai cach hanh chinh")
            signed = signing.sign_pdf(bytes(pdf.output()), keys.load_body_key(province),
                                      signing.SignOptions(field_name="Seal",
                                                          level=signing.PadesLevel.B_T,
                                                          timestamps=keys.timestamps(),
                                                          revocation=keys.revocation())).pdf
            packet = edxml.EdocPacket(
                document_id=edxml.make_document_id(PROVINCE, date(2026, 11, 26), number,
                                                   "CT-UBND"),
                sender=edxml.Organization(organ_id=PROVINCE, organ_name=province.name),
                recipients=(edxml.Organization(organ_id=RACHGIA, organ_name="TP Rạch Giá"),),
                code_number=number, code_notation="CT-UBND", type_name="Chỉ thị",
                subject="Chỉ thị về đẩy mạnh cải cách hành chính năm 2026",
                promulgation_date=date(2026, 11, 26), signer_position="Chủ tịch",
                signer_full_name="Trần Quốc Khánh", priority=1,
                attachments=(edxml.Attachment(content_id="1", name="chi-thi.pdf",
                                              content_type="application/pdf", description="",
                                              data=signed),))
            inbox = InboxMessage(hub_doc_id=f"browser-{number}", to_code=RACHGIA,
                                 message_type="edoc", from_code=PROVINCE,
                                 document_id=packet.document_id, state="processed")
            db.session.add(inbox)
            db.session.flush()
            doc = service.receive_packet(inbox, packet)
            result = doc.id, doc.document_id
        db.session.remove()
    return result


def test_directive_received_registered_assigned_completed(page, live_server, live_app):
    doc_id, document_id = _arrive(live_app, "15")

    sign_in(page, live_server, "vanthu.rachgia")
    page.click(".mainnav >> text=Văn bản đến")
    row = page.locator("tr", has_text="Chỉ thị về đẩy mạnh cải cách hành chính")
    assert "Khẩn" in row.inner_text()
    row.locator("a").first.click()
    assert "Văn bản hợp lệ" in page.inner_text("#verdict")
    page.click("#form-register button[type=submit]")
    assert "Đã vào sổ văn bản đến" in page.inner_text(".flash")
    assert page.inner_text("#incoming-number").split()[0].isdigit()
    sign_out(page)

    sign_in(page, live_server, "lanhdao.rachgia")
    page.goto(f"{live_server}/incoming/{doc_id}")
    page.fill("#assign-directive", "Giao Văn phòng chủ trì tham mưu kế hoạch triển khai.")
    page.select_option("#assign-lead", "chuyenvien.rachgia")
    deadline = service.today() + timedelta(days=5)
    page.fill("#assign-deadline", deadline.isoformat())
    page.click("#form-assign button[type=submit]")
    assert "Đã phân công xử lý" in page.inner_text(".flash")
    sign_out(page)

    sign_in(page, live_server, "chuyenvien.rachgia")
    page.click(".mainnav >> text=Văn bản đến")
    page.locator("tr", has_text="Chỉ thị về đẩy mạnh").locator("a").first.click()
    page.fill("#progress-text", "Đang dự thảo kế hoạch triển khai")
    page.click("#form-progress button[type=submit]")
    assert "Đã cập nhật tiến độ" in page.inner_text(".flash")
    page.fill("#complete-result", "Đã tham mưu ban hành Kế hoạch số 20/KH-UBND")
    page.click("#form-complete button[type=submit]")
    assert "Đã hoàn thành xử lý văn bản" in page.inner_text(".flash")
    assert page.inner_text("#timeliness") == "Trước hạn"
    with page.expect_popup() as popup:
        page.click("text=In phiếu giải quyết")
    assert popup.value.url.endswith("/slip.pdf")

    with live_app.app_context():
        codes = list(db.session.execute(sa.select(OutboxMessage.status_code).where(
            OutboxMessage.document_id == document_id, OutboxMessage.message_type == "status")
            .order_by(OutboxMessage.id)).scalars())
        db.session.remove()
    assert codes == ["01", "03", "04", "05", "06"]


def test_incoming_list_on_a_phone(browser, live_server, live_app):
    _arrive(live_app, "16")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "vanthu.rachgia")
        page.goto(f"{live_server}/incoming/")
        assert page.locator("table").count() == 1
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, width  # nothing scrolls the page sideways
        # a list of cards: the subject on a line of its own, as wide as the card, not a
        # word per line; no header row, and no sideways scrolling inside the list either
        row = page.locator("table.doclist tbody tr", has_text="16/CT-UBND").first
        subject = row.locator("td.subject")
        assert subject.bounding_box()["width"] > 0.8 * row.bounding_box()["width"]
        assert page.locator("table.doclist thead").is_hidden()
        wrap = page.locator(".table-wrap").first
        assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    finally:
        context.close()
