"""Builders for the report tests (importable as ``reports_helpers``): documents made
through the outgoing and incoming services, and readers for the exported files."""

from __future__ import annotations

import io
import subprocess
from datetime import date
from typing import Any

from fpdf import FPDF
from openpyxl import load_workbook

from eoffice.core.uow import unit_of_work
from eoffice.incoming import service as incoming
from eoffice.outgoing import service as outgoing

PROVINCE, RACHGIA, HATIEN = "000.00.00.H33", "000.00.30.H33", "000.00.31.H33"
PIN = "123456"
BODY = "Yêu cầu các cơ quan, đơn vị triển khai thực hiện nghiêm túc."


def scan_pdf(text: str = "Cong van so 12") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def issue_outgoing(office: Any, subject: str, *, doc_type: str = "CT",
                   recipients: tuple[str, ...] = (RACHGIA, HATIEN), **extra: Any) -> Any:
    """Draft, submit, approve, sign and issue an outgoing document of the province."""
    with unit_of_work():
        doc = outgoing.create_draft(office.drafter, doc_type=doc_type, subject=subject,
                                    recipients=list(recipients),
                                    signer=office.leader.username, body=BODY, **extra)
    with unit_of_work():
        outgoing.submit(office.drafter, doc)
    if doc.review_stage == "head":  # the drafting unit's head reviews first
        with unit_of_work():
            outgoing.approve(office.head, doc)
    with unit_of_work():
        outgoing.approve(office.leader, doc)
    with unit_of_work():
        outgoing.sign(office.leader, doc, pin=PIN)
    with unit_of_work():
        outgoing.issue(office.clerk, doc)
    return doc


def paper_incoming(office: Any, subject: str, *, number: str = "12", notation: str = "BC-BNV",
                   issuer: str = "Bộ Nội vụ", priority: int = 0,
                   issued: date = date(2026, 11, 2), register: bool = True) -> Any:
    """The clerk takes in (and registers) a paper document."""
    meta = incoming.PaperMeta(issuer_name=issuer, subject=subject, number=number,
                              notation=notation, issued_date=issued, type_name="Báo cáo",
                              priority=priority)
    with unit_of_work():
        doc = incoming.intake_paper(office.clerk, office.province, meta,
                                    [("scan.pdf", scan_pdf())])
    if register:
        with unit_of_work():
            incoming.register(office.clerk, doc)
    return doc


def read_xlsx(data: bytes) -> list[tuple[Any, ...]]:
    """All rows of the first sheet (values)."""
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def pdf_text(data: bytes, tmp_path: Any) -> str:
    """The text of a PDF through poppler's ``pdftotext``."""
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
