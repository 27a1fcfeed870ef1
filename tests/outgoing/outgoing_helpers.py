"""Shared builders for the outgoing tests (importable as ``outgoing_helpers``)."""

from __future__ import annotations

from fpdf import FPDF

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
PROVINCE, RACHGIA, HATIEN = "000.00.00.H33", "000.00.30.H33", "000.00.31.H33"
PIN = "123456"


def uploaded_pdf(*, with_date: bool = True, pages: int = 1) -> bytes:
    """A typed draft as a drafter would upload it: "Số:", the date line, a signer block."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("S", "", FONT)
    pdf.add_page()
    pdf.set_font("S", size=12)
    pdf.text(90, 60, "ỦY BAN NHÂN DÂN")
    pdf.text(320, 60, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    pdf.set_font("S", size=13)
    pdf.text(90, 110, "Số:      /CT-UBND")
    if with_date:
        pdf.text(320, 110, "Kiên Giang, ngày      tháng      năm 2026")
    pdf.text(200, 170, "CHỈ THỊ về cải cách hành chính")
    pdf.text(110, 220, "Nội dung chỉ thị ...")
    for _ in range(pages - 1):
        pdf.add_page()
        pdf.set_font("S", size=13)
        pdf.text(110, 100, "Trang tiếp theo.")
    pdf.text(360, 420, "TM. ỦY BAN NHÂN DÂN")
    pdf.text(390, 440, "CHỦ TỊCH")
    pdf.text(380, 560, "Trần Quốc Khánh")
    return bytes(pdf.output())


def attachment_pdf() -> bytes:
    """A separate-file appendix."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("S", "", FONT)
    pdf.add_page()
    pdf.set_font("S", size=13)
    pdf.text(100, 200, "Phụ lục: danh sách đơn vị thực hiện")
    return bytes(pdf.output())


MANUAL_LAYOUT = {"page": 0, "number_page": 0, "number_box": [120, 720, 260, 740],
                 "date_box": [320, 720, 560, 740], "leader_box": [340, 300, 520, 400]}
