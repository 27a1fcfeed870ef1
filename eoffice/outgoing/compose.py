"""Compose a draft in the app: a Decree 30 (Phụ lục I) page rendered to PDF with fpdf2.

The layout follows the boxes of DOMAIN.md §1c: (1) Quốc hiệu and Tiêu ngữ top right,
(2) parent body and issuing body top left, (3) "Số:" and (4) the place/date line on the
same row, (5a) type name and trích yếu (or 5b "V/v …" under the number for a công văn),
(9a) "Kính gửi" for a công văn, (6) the content, justified with a first-line indent,
(7a/7b/7c) authority prefix + position, the signature box, the signer's name,
(9b) "Nơi nhận", (10a/10b) secrecy and urgency marks. A4 portrait, margins 20/20/30/15 mm,
Liberation Serif 2 (metric-compatible with Times New Roman, with Vietnamese glyphs),
embedded. The number, the date line and the signature are left empty: the function
returns the :class:`signing.DraftLayout` of the boxes where the signing flow puts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from fpdf import FPDF

from signing import Box, DraftLayout

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FALLBACK_FONT = (Path(__file__).resolve().parents[2] / "signing" / "fonts"
                 / "EofficeSerif-Regular.ttf")
MM = 72 / 25.4
PAGE_W, PAGE_H = 595.28, 841.89
LEFT, RIGHT, TOP, BOTTOM = 30 * MM, 15 * MM, 20 * MM, 20 * MM
HEAD_LEFT_X, HEAD_LEFT_W = LEFT - 12 * MM, 78 * MM
HEAD_RIGHT_X = HEAD_LEFT_X + HEAD_LEFT_W + 2 * MM
HEAD_RIGHT_W = PAGE_W - RIGHT - HEAD_RIGHT_X + 6 * MM
SIGN_W = 85 * MM
SIGN_X = PAGE_W - RIGHT - SIGN_W
LEADER_BOX_H = 30 * MM
URGENCY_MARKS = {"khan": "KHẨN", "thuong_khan": "THƯỢNG KHẨN", "hoa_toc": "HỎA TỐC"}
SECRECY_MARKS = {"mat": "MẬT", "toi_mat": "TỐI MẬT", "tuyet_mat": "TUYỆT MẬT"}
_PLACE_WORDS = r"(tỉnh|thành phố|huyện|thị xã|quận|phường|xã|thị trấn)"


class ComposeError(Exception):
    """No usable font (the Debian package fonts-liberation2 is missing)."""


@dataclass(frozen=True)
class ComposeInput:
    """Everything the template prints."""

    body_name: str
    parent_name: str
    locality: str
    type_name: str
    is_cong_van: bool
    subject: str
    content: str
    signer_name: str
    signer_title: str
    authority: str = ""
    authority_of: str = ""
    recipients: tuple[str, ...] = ()
    keep_unit: str = ""
    urgency: str = ""
    confidentiality: str = ""
    year: int = 2025
    extra_places: tuple[str, ...] = field(default_factory=tuple)


def split_body_name(name: str) -> list[str]:
    """``Ủy ban nhân dân tỉnh Kiên Giang`` → ``["ỦY BAN NHÂN DÂN", "TỈNH KIÊN GIANG"]``."""
    match = re.match(rf"^(.*?)\s+({_PLACE_WORDS}\s+.+)$", name, flags=re.IGNORECASE)
    parts = [match.group(1), match.group(2)] if match else [name]
    return [p.upper() for p in parts]


def collective_name(name: str) -> str:
    """The collective a ``TM.`` signer acts for: the body name without its place."""
    return split_body_name(name)[0]


def short_parent(name: str) -> str:
    """Parent body names are abbreviated the usual way (``UBND TỈNH KIÊN GIANG``)."""
    return re.sub(r"^ủy ban nhân dân", "UBND", name, flags=re.IGNORECASE).upper()


class _Pdf(FPDF):
    pass


def _fonts(pdf: FPDF) -> None:
    styles = {"": "Regular", "B": "Bold", "I": "Italic", "BI": "BoldItalic"}
    if all((FONT_DIR / f"LiberationSerif-{v}.ttf").exists() for v in styles.values()):
        for style, variant in styles.items():
            pdf.add_font("Serif", style, str(FONT_DIR / f"LiberationSerif-{variant}.ttf"))
        return
    if not FALLBACK_FONT.exists():
        raise ComposeError("Thiếu phông chữ tiếng Việt (gói fonts-liberation2).")
    for style in styles:  # regular glyphs only: still a readable Vietnamese page
        pdf.add_font("Serif", style, str(FALLBACK_FONT))


def _centered_lines(pdf: FPDF, x: float, width: float, lines: list[str], size: float,
                    style: str, leading: float = 1.2) -> float:
    pdf.set_font("Serif", style, size)
    for line in lines:
        pdf.set_x(x)
        pdf.multi_cell(width, size * leading, line, align="C", new_x="LEFT", new_y="NEXT")
    return pdf.get_y()


def _underline(pdf: FPDF, cx: float, y: float, length: float) -> None:
    pdf.set_line_width(0.6)
    pdf.line(cx - length / 2, y, cx + length / 2, y)


def _to_box(x0: float, top: float, x1: float, bottom: float) -> Box:
    """fpdf coordinates (top-left origin) → a PDF box (bottom-left origin)."""
    return Box(round(x0, 2), round(PAGE_H - bottom, 2), round(x1, 2), round(PAGE_H - top, 2))


def _mark(pdf: FPDF, text: str, x: float, y: float, red: bool) -> float:
    pdf.set_font("Serif", "B", 13)
    width = pdf.get_string_width(text) + 8 * MM
    if red:
        pdf.set_draw_color(220, 0, 0)
        pdf.set_text_color(220, 0, 0)
    pdf.set_line_width(1.2)
    pdf.rect(x, y, width, 8 * MM)
    pdf.set_xy(x, y)
    pdf.cell(width, 8 * MM, text, align="C")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_text_color(0, 0, 0)
    return y + 8 * MM + 4


def compose_pdf(data: ComposeInput) -> tuple[bytes, DraftLayout]:
    """Render the draft; return the PDF and where the number, date and signatures go."""
    pdf = _Pdf(unit="pt", format="A4")
    pdf.set_margins(LEFT, TOP, RIGHT)
    pdf.set_auto_page_break(True, BOTTOM)
    pdf.set_title(data.subject)
    pdf.set_creator("eoffice")
    _fonts(pdf)
    pdf.add_page()

    # (2) issuing body, top left
    left_cx = HEAD_LEFT_X + HEAD_LEFT_W / 2
    pdf.set_y(TOP)
    if data.parent_name:
        _centered_lines(pdf, HEAD_LEFT_X, HEAD_LEFT_W, [short_parent(data.parent_name)], 12, "")
    body_lines = split_body_name(data.body_name)
    y_left = _centered_lines(pdf, HEAD_LEFT_X, HEAD_LEFT_W, body_lines, 12, "B")
    pdf.set_font("Serif", "B", 12)
    widest = max(pdf.get_string_width(line) for line in body_lines)
    _underline(pdf, left_cx, y_left + 2, min(widest, HEAD_LEFT_W) * 0.4)

    # (1) Quốc hiệu and Tiêu ngữ, top right
    right_cx = HEAD_RIGHT_X + HEAD_RIGHT_W / 2
    pdf.set_y(TOP)
    _centered_lines(pdf, HEAD_RIGHT_X, HEAD_RIGHT_W, ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
                    12, "B")
    motto = "Độc lập - Tự do - Hạnh phúc"
    y_right = _centered_lines(pdf, HEAD_RIGHT_X, HEAD_RIGHT_W, [motto], 13, "B")
    pdf.set_font("Serif", "B", 13)
    _underline(pdf, right_cx, y_right + 2, pdf.get_string_width(motto))

    # (3) number and (4) place/date, same row
    row = max(y_left, y_right) + 12
    pdf.set_font("Serif", "", 13)
    label_x = HEAD_LEFT_X + 12 * MM
    pdf.set_xy(label_x, row)
    pdf.cell(pdf.get_string_width("Số:") + 2, 16, "Số:")
    number_x0 = label_x + pdf.c_margin + pdf.get_string_width("Số: ")  # the cell pads its text
    number_box = _to_box(number_x0, row - 4.5, HEAD_LEFT_X + HEAD_LEFT_W, row + 13.5)
    date_box = _to_box(HEAD_RIGHT_X + 10 * MM, row - 4.5, HEAD_RIGHT_X + HEAD_RIGHT_W,
                       row + 13.5)
    y = row + 20

    # (5b) trích yếu of a công văn, 6 pt under the number
    if data.is_cong_van:
        pdf.set_y(y)
        y = _centered_lines(pdf, HEAD_LEFT_X, HEAD_LEFT_W, [f"V/v {data.subject}"], 12, "")
    # (10a/10b) secrecy and urgency marks under the number
    y += 4
    if data.confidentiality in SECRECY_MARKS:
        y = _mark(pdf, SECRECY_MARKS[data.confidentiality], HEAD_LEFT_X + 14 * MM, y, False)
    if data.urgency in URGENCY_MARKS:
        y = _mark(pdf, URGENCY_MARKS[data.urgency], HEAD_LEFT_X + 14 * MM, y, True)

    content_w = PAGE_W - LEFT - RIGHT
    pdf.set_y(y + 14)
    if data.is_cong_van:
        # (9a) Kính gửi
        pdf.set_font("Serif", "", 14)
        names = list(data.recipients) or ["…"]
        pdf.set_x(LEFT + 25 * MM)
        if len(names) == 1:
            pdf.multi_cell(content_w - 25 * MM, 18, f"Kính gửi: {names[0]}.", align="L",
                           new_x="LMARGIN", new_y="NEXT")
        else:
            pdf.cell(pdf.get_string_width("Kính gửi: "), 18, "Kính gửi:")
            indent_x = pdf.get_x()
            for i, name in enumerate(names):
                pdf.set_x(indent_x)
                ending = ";" if i < len(names) - 1 else "."
                pdf.multi_cell(PAGE_W - RIGHT - indent_x, 18, f"- {name}{ending}", align="L",
                               new_x="LMARGIN", new_y="NEXT")
        pdf.ln(10)
    else:
        # (5a) type name and trích yếu
        pdf.set_font("Serif", "B", 14)
        pdf.cell(content_w, 20, data.type_name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
        start = pdf.get_y()
        pdf.set_x(LEFT + 15 * MM)
        pdf.multi_cell(content_w - 30 * MM, 18, data.subject, align="C", new_x="LMARGIN",
                       new_y="NEXT")
        line_w = min(pdf.get_string_width(data.subject), content_w - 30 * MM) / 3
        _underline(pdf, LEFT + content_w / 2, pdf.get_y() + 3, max(line_w, 30 * MM))
        pdf.set_y(max(pdf.get_y(), start) + 16)

    # (6) content
    pdf.set_font("Serif", "", 14)
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\r?\n", data.content) if p.strip()]
    with pdf.text_columns(text_align="J", line_height=1.25) as columns:
        for paragraph in paragraphs:
            with columns.paragraph(first_line_indent=1 * 28.35, bottom_margin=6) as par:
                par.write(paragraph)

    # (7) signer block and (9b) nơi nhận: keep together on one page
    authority_lines = []
    title = data.signer_title.upper()
    if data.authority == "TM.":
        authority_lines = [f"TM. {data.authority_of or collective_name(data.body_name)}", title]
    elif data.authority in ("KT.", "TL.", "TUQ.", "Q."):
        authority_lines = [f"{data.authority} {data.authority_of or title}", title]
    else:
        authority_lines = [title]
    block_h = len(authority_lines) * 17 + LEADER_BOX_H + 24
    places = ["Như trên;"] if data.is_cong_van else [f"{n};" for n in data.recipients]
    places += [f"{p};" for p in data.extra_places]
    places.append(f"Lưu: VT{', ' + data.keep_unit if data.keep_unit else ''}.")
    places_h = 16 + 13 * len(places)
    y = pdf.get_y() + 10
    if y + max(block_h, places_h) > PAGE_H - BOTTOM:
        pdf.add_page()
        y = TOP
    pdf.set_y(y)
    y_after_auth = _centered_lines(pdf, SIGN_X, SIGN_W, authority_lines, 13, "B", leading=1.3)
    leader_top = y_after_auth + 4
    leader_box = _to_box(SIGN_X + 12 * MM, leader_top, SIGN_X + SIGN_W - 12 * MM,
                         leader_top + LEADER_BOX_H)
    pdf.set_y(leader_top + LEADER_BOX_H + 6)
    _centered_lines(pdf, SIGN_X, SIGN_W, [data.signer_name], 14, "B")

    pdf.set_xy(HEAD_LEFT_X + 6 * MM, y + 4)
    pdf.set_font("Serif", "BI", 12)
    pdf.cell(60, 14, "Nơi nhận:", new_x="LEFT", new_y="NEXT")
    pdf.set_font("Serif", "", 11)
    for place in places:
        pdf.set_x(HEAD_LEFT_X + 6 * MM)
        pdf.multi_cell(SIGN_X - HEAD_LEFT_X - 8 * MM, 13, f"- {place}", align="L",
                       new_x="LEFT", new_y="NEXT")
    layout = DraftLayout(page=pdf.page_no() - 1, number_box=number_box, date_box=date_box,
                         leader_box=leader_box, number_page=0)
    return bytes(pdf.output()), layout
