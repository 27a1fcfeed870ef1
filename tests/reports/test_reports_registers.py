"""Registers and handling reports: documents made through the services, exported to XLSX
and PDF, read back (openpyxl, pdftotext) and checked column by column."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from reports_helpers import (
    HATIEN,
    RACHGIA,
    issue_outgoing,
    paper_incoming,
    pdf_text,
    read_xlsx,
)

from eoffice.audit.models import AuditEvent
from eoffice.core.errors import BadRequest, PermissionDenied
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.incoming import service as incoming
from eoffice.interop import edxml
from eoffice.outgoing import service as outgoing
from eoffice.reports import exports, service

OUT_HEADERS = ("Số, ký hiệu văn bản", "Ngày tháng văn bản",
               "Tên loại và trích yếu nội dung văn bản", "Người ký", "Nơi nhận văn bản",
               "Đơn vị, người nhận bản lưu", "Số lượng bản", "Ngày chuyển", "Ký nhận", "Ghi chú")
IN_HEADERS = ("Ngày đến", "Số đến", "Tác giả", "Số, ký hiệu", "Ngày tháng văn bản",
              "Tên loại và trích yếu nội dung", "Đơn vị hoặc người nhận", "Ngày chuyển",
              "Ký nhận", "Ghi chú")
TRACK_HEADERS = ("Số đến", "Tên loại, số, ký hiệu, ngày tháng văn bản, cơ quan ban hành",
                 "Đơn vị hoặc người nhận", "Thời hạn giải quyết", "Tiến độ giải quyết",
                 "Số, ký hiệu văn bản trả lời", "Ghi chú")


def export(actor, kind, org, start, end, fmt="xlsx"):
    with unit_of_work():
        request = service.parse_request(actor, kind=kind, org=org.code, start=start.isoformat(),
                                        end=end.isoformat(), fmt=fmt)
        return service.export(actor, request)


def body_rows(rows, headers):
    """The rows below the header and the (1)…(n) numbering row."""
    at = rows.index(headers)
    assert rows[at + 1] == tuple(f"({i})" for i in range(1, len(headers) + 1))
    return rows[at + 2:]


def test_outgoing_register_has_the_decree_columns_and_the_issued_rows(office, tmp_path):
    first = issue_outgoing(office, "Về đẩy mạnh cải cách hành chính năm 2026")
    second = issue_outgoing(office, "Về việc rà soát thủ tục hành chính", doc_type="CV",
                            recipients=(RACHGIA,))
    secret = issue_outgoing(office, "Về công tác bảo vệ bí mật nhà nước", confidentiality="mat")
    with unit_of_work():
        outgoing.revoke(office.clerk, second, reason="Ban hành nhầm")
    day = service.today()
    result = export(office.clerk, "outgoing_register", office.province, day, day)
    rows = read_xlsx(result.data)
    assert rows[1][0] == "ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG" and rows[3][0] == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    assert f"Từ ngày {day:%d/%m/%Y} đến ngày {day:%d/%m/%Y}" in [r[0] for r in rows]
    data = body_rows(rows, OUT_HEADERS)
    assert [r[0] for r in data] == [first.code, second.code]  # not the confidential one
    assert secret.register.confidential and "bí mật nhà nước" not in str(rows)
    one, two = data
    assert one[1] == f"{day:%d/%m/%Y}" and one[7] == f"{day:%d/%m/%Y}"
    assert one[2] == "Chỉ thị: Về đẩy mạnh cải cách hành chính năm 2026"
    assert one[3] == "Trần Quốc Khánh" and one[6] == 1
    assert "Ủy ban nhân dân thành phố Rạch Giá" in one[4]
    assert "Ủy ban nhân dân thành phố Hà Tiên" in one[4]
    assert one[5] == "VT, TH" and one[8] is None and one[9] is None
    assert two[0] == second.code == "02/UBND-TH" and two[9] == "Đã thu hồi"
    assert result.rows == 2 and result.filename.endswith(".xlsx")

    pdf = export(office.leader, "outgoing_register", office.province, day, day, "pdf")
    assert pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data, tmp_path)
    for needle in ("SỔ ĐĂNG KÝ VĂN BẢN ĐI", "Trần Quốc Khánh", "Số, ký hiệu", "Người ký",
                   "Chỉ thị:", "đẩy mạnh", first.code, "Trang 1/1"):
        assert needle in text, needle
    events = db.session.execute(sa.select(AuditEvent).where(
        AuditEvent.action == "reports.exported")).scalars().all()
    assert len(events) == 2 and events[0].org_id == office.province.id
    assert '"kind": "outgoing_register"' in events[0].details


def test_incoming_register_tracking_book_and_handling_report(office, tmp_path):
    day = service.today()
    now = incoming.utcnow()
    done = paper_incoming(office, "Báo cáo kết quả cải cách hành chính", priority=1)
    with unit_of_work():
        incoming.assign(office.leader, done, lead=office.handler.username,
                        cooperate=[f"unit:{office.unit.id}"],
                        deadline=(day + timedelta(days=5)).isoformat(), directive="Xử lý")
    with unit_of_work():
        incoming.complete(office.handler, done, "Đã báo cáo UBND tỉnh")
    late = paper_incoming(office, "Đề nghị rà soát biên chế", number="30", notation="CV-SNV",
                          issuer="Sở Nội vụ")
    with unit_of_work():  # directed ten days ago with a deadline five days ago: overdue now
        incoming.assign(office.leader, late, lead=office.handler.username,
                        deadline=(day - timedelta(days=5)).isoformat(),
                        now=now - timedelta(days=10))
    paper_incoming(office, "Thông báo lịch họp", number="7", notation="TB-VP",
                   issuer="Văn phòng Chính phủ", register=False)
    refused = paper_incoming(office, "Gửi nhầm địa chỉ", number="8", notation="CV-X",
                             issuer="Công ty X", register=False)
    with unit_of_work():
        incoming.refuse(office.clerk, refused, "Không đúng thẩm quyền")
    # the answer: an outgoing document of the body in answer to the first one
    done.document_id = edxml.make_document_id("000.00.00.G09", done.issued_date, "12", "BC-BNV")
    db.session.flush()
    answer = issue_outgoing(office, "Về việc báo cáo cải cách hành chính", doc_type="CV",
                            recipients=(HATIEN,), response_for=done.document_id)

    rows = read_xlsx(export(office.clerk, "incoming_register", office.province, day, day).data)
    data = body_rows(rows, IN_HEADERS)
    assert [r[1] for r in data] == [1, 2]  # only registered documents, by số đến
    first, second = data
    assert first[0] == f"{day:%d/%m/%Y}" and first[2] == "Bộ Nội vụ"
    assert first[3] == "12/BC-BNV" and first[4] == "02/11/2026"
    assert first[5] == "Báo cáo: Báo cáo kết quả cải cách hành chính"
    assert first[6] == "Đặng Thị Nội Chính (chủ trì); Phòng Tổng hợp (phối hợp)"
    assert first[7] == f"{day:%d/%m/%Y}" and first[9] == "Khẩn"
    assert second[2] == "Sở Nội vụ" and second[7] == f"{day - timedelta(days=10):%d/%m/%Y}"
    assert "Thông báo lịch họp" not in str(rows)

    rows = read_xlsx(export(office.clerk, "incoming_tracking", office.province, day, day).data)
    first, second = body_rows(rows, TRACK_HEADERS)
    assert first[0] == 1
    assert first[1] == ("Báo cáo số 12/BC-BNV, ngày 02/11/2026, Bộ Nội vụ — "
                        "Báo cáo kết quả cải cách hành chính")
    assert first[3] == f"{day + timedelta(days=5):%d/%m/%Y}"
    assert first[4] == f"Đã hoàn thành ngày {day:%d/%m/%Y} (trước hạn)"
    assert first[5] == answer.code
    assert second[4] == "Đã phân công, quá hạn 5 ngày" and second[5] is None

    rows = read_xlsx(export(office.leader, "incoming_handling", office.province, day, day).data)
    headers = rows[next(i for i, r in enumerate(rows) if r[0] == "STT")]
    assert headers[:3] == ("STT", "Đơn vị chủ trì giải quyết", "Tổng số văn bản đến")
    by_unit = {r[1]: r for r in rows if isinstance(r[0], int)}
    nc = by_unit["Phòng Nội chính"]
    #      total, elec, paper, wait reg, wait assign, early, on time, late, no dl, in, past
    assert nc[2:13] == (2, 0, 2, 0, 0, 1, 0, 0, 0, 0, 1)
    none = by_unit["(Chưa có đơn vị chủ trì)"]
    assert none[2] == 2 and none[5] == 1 and none[13] == 1  # waiting, refused
    total = next(r for r in rows if r[1] == "Tổng cộng")
    assert total[2] == 4 and total[4] == 4

    rows = read_xlsx(export(office.leader, "outgoing_handling", office.province, day, day).data)
    with unit_of_work():  # a draft still being written is counted too
        outgoing.create_draft(office.drafter, doc_type="CT", subject="Dự thảo chưa trình",
                              recipients=[RACHGIA], signer=office.leader.username, body="Nội dung")
    rows = read_xlsx(export(office.leader, "outgoing_handling", office.province, day, day).data)
    th = next(r for r in rows if r[1] == "Phòng Tổng hợp")
    #      total, drafting, review, approved, signed, issued, electronic, secret, answers
    assert th[2:11] == (2, 1, 0, 0, 0, 1, 1, 0, 1)

    text = pdf_text(export(office.clerk, "incoming_tracking", office.province, day, day,
                           "pdf").data, tmp_path)
    for needle in ("SỔ THEO DÕI GIẢI QUYẾT VĂN BẢN ĐẾN", "Tiến độ giải quyết", "Bộ Nội vụ",
                   "Đặng Thị Nội Chính", answer.code, "quá hạn 5 ngày"):
        assert needle in text, needle


def test_only_the_bodys_clerk_and_leaders_export(office):
    day = service.today()
    for actor in (office.drafter, office.head, office.admin):
        with pytest.raises(PermissionDenied):
            service.parse_request(actor, kind="incoming_register", org=office.province.code,
                                  start=day, end=day)
    for actor in (office.district_clerk, office.district_leader):  # a parent body's register
        with pytest.raises(PermissionDenied):
            service.parse_request(actor, kind="incoming_register", org=office.province.code,
                                  start=day, end=day)
    request = service.parse_request(office.district_clerk, kind="incoming_register", org="",
                                    start=day, end=day)
    assert request.org.id == office.rachgia.id  # default: the actor's own body
    with pytest.raises(BadRequest):  # a unit is not a body
        service.parse_request(office.leader, kind="incoming_register", org=str(office.unit.id),
                              start=day, end=day)


def count_statements(fn):
    engine = db.engine
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_statement_count_does_not_grow_with_rows(office):
    day = service.today()

    def counts():
        out = {}
        for kind in service.KINDS:
            request = service.parse_request(office.clerk, kind=kind, org=office.province.code,
                                            start=day, end=day)
            out[kind] = count_statements(lambda r=request: service.build(office.clerk, r))
        return out

    issue_outgoing(office, "Văn bản thứ nhất")
    paper_incoming(office, "Văn bản đến thứ nhất", number="1")
    few = counts()
    issue_outgoing(office, "Văn bản thứ hai", recipients=(RACHGIA,))
    issue_outgoing(office, "Văn bản thứ ba", recipients=(HATIEN,))
    for n in range(2, 7):
        doc = paper_incoming(office, f"Văn bản đến thứ {n}", number=str(n))
        with unit_of_work():
            incoming.assign(office.leader, doc, lead=office.handler.username)
    many = counts()
    assert many == few, (few, many)
    assert max(many.values()) <= 4


def test_xlsx_layout_for_printing(office):
    day = service.today()
    issue_outgoing(office, "Về công tác văn thư")
    from io import BytesIO

    from openpyxl import load_workbook

    data = export(office.clerk, "outgoing_register", office.province, day, day).data
    sheet = load_workbook(BytesIO(data)).worksheets[0]
    assert sheet.page_setup.orientation == "landscape" and sheet.page_setup.paperSize == 9
    assert sheet.freeze_panes == "A9" and sheet.print_title_rows == "$7:$8"
    assert sheet.column_dimensions["C"].width == 46
    header = sheet["A7"]
    assert header.value == "Số, ký hiệu văn bản" and header.font.b
    assert sheet["A9"].border.left.style == "thin" and sheet["C9"].alignment.wrap_text


def test_pdf_repeats_the_header_on_every_page(tmp_path):
    from datetime import date

    report = service.Report(kind="outgoing_register", title="SỔ ĐĂNG KÝ VĂN BẢN ĐI",
                            org_name="Ủy ban nhân dân tỉnh Kiên Giang", parent_name="",
                            start=date(2026, 1, 1), end=date(2026, 12, 31),
                            as_of=date(2026, 12, 31), columns=service.OUTGOING_REGISTER_COLUMNS)
    rows = [(f"{i:02d}/CV-UBND", "02/01/2026", "Công văn: Về việc triển khai nhiệm vụ " * 3,
             "Trần Quốc Khánh", "Sở Nội vụ; Sở Tài chính", "VT", 1, "02/01/2026", "", "")
            for i in range(1, 80)]
    report.sections = [("Sổ văn bản đi", rows), ("Sổ công văn đi", rows[:3])]
    text = pdf_text(exports.to_pdf(report), tmp_path)
    pages = text.split("\f")[:-1]
    assert len(pages) > 3
    for n, page in enumerate(pages, 1):
        assert "Người ký" in page and "Nơi nhận văn bản" in page, n
        assert f"Trang {n}/{len(pages)}" in page
    assert "Sổ công văn đi" in text and "79/CV-UBND" in text
