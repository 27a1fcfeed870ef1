"""Builders for the search tests (importable as ``search_helpers``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fpdf import FPDF

from eoffice.core.uow import unit_of_work
from eoffice.incoming import service as incoming

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
PROVINCE, RACHGIA, HATIEN = "000.00.00.H33", "000.00.30.H33", "000.00.31.H33"
PIN = "123456"


def text_pdf(*lines: str) -> bytes:
    """A one-page PDF with a real (Vietnamese) text layer."""
    pdf = FPDF(format="A4")
    pdf.add_font("S", "", FONT)
    pdf.add_page()
    pdf.set_font("S", size=13)
    for line in lines:
        pdf.multi_cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def paper(clerk: Any, *, subject: str, issuer: str = "Sở Tài chính tỉnh Kiên Giang",
          number: str = "120", notation: str = "STC-NS", type_name: str = "Công văn",
          issued: date | None = None, issuer_code: str = "", signer: str = "",
          priority: int = 0, lines: tuple[str, ...] = ("Nội dung văn bản.",)) -> Any:
    """A paper document taken in by ``clerk`` (committed through the service)."""
    with unit_of_work():
        return incoming.intake_paper(clerk, clerk.org, incoming.PaperMeta(
            issuer_name=issuer, subject=subject, number=number, notation=notation,
            issued_date=issued or date(2026, 3, 2), type_name=type_name,
            issuer_code=issuer_code, signer_name=signer, priority=priority),
            [("scan.pdf", text_pdf(*lines))])
