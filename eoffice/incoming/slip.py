"""Phiếu giải quyết văn bản đến (Decree 30, Phụ lục IV) as an A4 PDF.

Header: the receiving body, the title, the document (type, number/notation, date, issuer,
subject, số đến and arrival date); then (1) the leader's direction — lead, cooperating
units with their deadlines, date of instruction; (2) the unit heads' re-assignments;
(3) the handlers' progress and proposal. Liberation Serif (metric-compatible with Times
New Roman, full Vietnamese glyphs) from Debian ``fonts-liberation2``.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from eoffice.core.clock import day_text
from eoffice.incoming.models import PRIORITY_NAMES, ROLE_NAMES, TIMELINESS_NAMES, IncomingDocument

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")


def _day(value: date | datetime | None) -> str:
    return day_text(value, empty="…/…/……")  # a blank to fill in by hand


class _Slip(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.add_font("Serif", "", str(FONT_DIR / "LiberationSerif-Regular.ttf"))
        self.add_font("Serif", "B", str(FONT_DIR / "LiberationSerif-Bold.ttf"))
        self.add_font("Serif", "I", str(FONT_DIR / "LiberationSerif-Italic.ttf"))
        self.set_margins(20, 15, 15)
        self.set_auto_page_break(True, 15)

    def line_text(self, text: str, style: str = "", size: float = 13, align: str = "L",
                  height: float = 6.5) -> None:
        self.set_font("Serif", style, size)
        self.multi_cell(0, height, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def label(self, label: str, value: str) -> None:
        self.set_font("Serif", "B", 13)
        self.write(6.5, label)
        self.set_font("Serif", "", 13)
        self.write(6.5, value)
        self.ln(6.5)


def render_slip(doc: IncomingDocument) -> bytes:
    """The processing slip of ``doc`` as PDF bytes."""
    pdf = _Slip()
    pdf.add_page()
    top = pdf.get_y()
    pdf.set_font("Serif", "", 12)
    pdf.multi_cell(80, 5.5, doc.org.parent.name.upper() if doc.org.parent else "",
                   align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Serif", "B", 12)
    pdf.multi_cell(80, 5.5, doc.org.name.upper(), align="C")
    pdf.set_xy(100, top)
    pdf.set_font("Serif", "B", 12)
    pdf.multi_cell(95, 5.5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", align="C",
                   new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Serif", "B", 13)
    pdf.multi_cell(95, 6, "Độc lập - Tự do - Hạnh phúc", align="C")
    pdf.set_y(top + 22)
    pdf.line_text("PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN", "B", 14, "C", 8)
    pdf.ln(2)
    what = " ".join(filter(None, [doc.type_name,
                                  f"số {doc.code}" if doc.code else "",
                                  f"ngày {_day(doc.issued_date)}" if doc.issued_date else "",
                                  f"của {doc.issuer_name}" if doc.issuer_name else ""]))
    pdf.label("Văn bản: ", what)
    pdf.label("Trích yếu: ", doc.subject)
    pdf.label("Số đến: ", f"{doc.incoming_number or '……'}    Ngày đến: {_day(doc.arrival_date)}"
              + (f"    Độ khẩn: {PRIORITY_NAMES[doc.priority]}" if doc.is_urgent else ""))
    pdf.ln(3)

    pdf.line_text("1. Ý kiến của lãnh đạo cơ quan", "B")
    top_items = [a for a in doc.assignments if a.active and a.parent_id is None]
    pdf.line_text(doc.directive or "……………………………………………………………………", "I")
    for role in ("lead", "cooperate", "inform"):
        items = [a for a in top_items if a.role == role]
        if not items:
            continue
        text = "; ".join(a.target_name + (f" (hạn {_day(a.deadline)})" if a.deadline else "")
                         for a in items)
        pdf.label(f"- {ROLE_NAMES[role]}: ", text)
    pdf.label("- Thời hạn giải quyết: ", _day(doc.deadline))
    who = doc.directed_by.full_name if doc.directed_by else "……………………"
    pdf.label("- Ngày cho ý kiến: ", f"{_day(doc.directed_at)}    Người cho ý kiến: {who}")
    pdf.ln(3)

    pdf.line_text("2. Ý kiến của lãnh đạo đơn vị", "B")
    children = [a for a in doc.assignments if a.active and a.parent_id is not None]
    if not children:
        pdf.line_text("……………………………………………………………………")
    for a in children:
        head = a.assigned_by.full_name if a.assigned_by else ""
        pdf.line_text(f"- {head} giao {a.target_name} ({ROLE_NAMES[a.role].lower()})"
                      + (f", hạn {_day(a.deadline)}" if a.deadline else "")
                      + f", ngày {_day(a.assigned_at)}" + (f": {a.note}" if a.note else ""))
    pdf.ln(3)

    pdf.line_text("3. Ý kiến đề xuất của người giải quyết", "B")
    notes = [n for n in doc.notes if n.kind in ("progress", "result")]
    if not notes:
        pdf.line_text("……………………………………………………………………")
    for n in notes:
        author = n.author.full_name if n.author else ""
        pdf.line_text(f"- {_day(n.created_at)} {author}: {n.text}")
    if doc.completed_at:
        pdf.label("Hoàn thành ngày: ", _day(doc.completed_at)
                  + (f" ({TIMELINESS_NAMES[doc.timeliness]})" if doc.timeliness else ""))
    return bytes(pdf.output())
