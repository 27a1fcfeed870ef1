"""Render a :class:`~eoffice.reports.service.Report` to XLSX (openpyxl) or PDF (fpdf2).

Both are laid out for printing on A4 landscape, as the decree asks registers kept in the
system to be printed, signed and bound: a title block (parent body, body, title, period),
the header row with the decree's column names and the column numbers (1)…(n) below it,
then the rows — a bold line names the register when the body keeps several. The header
repeats on every printed page; pages are numbered.

XLSX uses openpyxl's write-only mode (rows stream into the file, constant memory). The PDF
uses Liberation Serif (Times-compatible, full Vietnamese glyphs; Debian
``fonts-liberation2``), falling back to DejaVu Serif.
"""

from __future__ import annotations

import io
from copy import copy
from pathlib import Path
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

from eoffice.core.clock import day_text
from eoffice.reports.service import Report

FONT_CANDIDATES = (
    (Path("/usr/share/fonts/truetype/liberation2"), "LiberationSerif-Regular.ttf",
     "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf"),
    (Path("/usr/share/fonts/truetype/liberation"), "LiberationSerif-Regular.ttf",
     "LiberationSerif-Bold.ttf", "LiberationSerif-Italic.ttf"),
    (Path("/usr/share/fonts/truetype/dejavu"), "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf",
     "DejaVuSerif-Italic.ttf"),
)
ALIGN = {"L": "left", "C": "center", "R": "right"}


def period_text(report: Report) -> str:
    """``Từ ngày 01/01/2026 đến ngày 31/12/2026``."""
    return f"Từ ngày {day_text(report.start)} đến ngày {day_text(report.end)}"


# ---------------------------------------------------------------------------------------
# XLSX


def to_xlsx(report: Report) -> bytes:
    """The report as an XLSX workbook (write-only, one sheet)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(report.title[:31].title() if report.title else "So")
    ncols = len(report.columns)
    last = get_column_letter(ncols)
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    font = Font(name="Times New Roman", size=11)
    bold = Font(name="Times New Roman", size=11, bold=True)
    wrap = {key: Alignment(horizontal=ALIGN[key], vertical="top", wrap_text=True)
            for key in ALIGN}
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    for index, column in enumerate(report.columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = column.width

    # Registering a style costs far more than writing a value: build each combination once
    # and give every cell a copy of its style array.
    styles: dict[tuple[int, int, int], Any] = {}

    def cell(value: Any, style: Font = font, align: Alignment | None = None,
             border: Border | None = None) -> WriteOnlyCell:
        c = WriteOnlyCell(ws, value=value)
        key = (id(style), id(align), id(border))
        proto = styles.get(key)
        if proto is None:
            c.font = style
            if align is not None:
                c.alignment = align
            if border is not None:
                c.border = border
            styles[key] = copy(c._style)
        else:
            c._style = copy(proto)
        return c

    title_rows = [
        (report.parent_name.upper(), font),
        (report.org_name.upper(), bold),
        ("", font),
        (report.title, Font(name="Times New Roman", size=14, bold=True)),
        (period_text(report), Font(name="Times New Roman", size=11, italic=True)),
    ]
    if report.note:
        title_rows.append((report.note, Font(name="Times New Roman", size=10, italic=True)))
    title_rows.append(("", font))
    header_row = len(title_rows) + 1
    # Sheet settings are written with the first row in write-only mode: set them all now.
    ws.freeze_panes = f"A{header_row + 2}"
    ws.print_title_rows = f"{header_row}:{header_row + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = "9"  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins = PageMargins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = "Trang &P/&N"
    for row_number, (text, style) in enumerate(title_rows, 1):
        ws.append([cell(text, style, center if row_number > 2 else None)])
        if row_number > 2 and text:
            ws.merged_cells.add(f"A{row_number}:{last}{row_number}")
    ws.append([cell(c.header, bold, center, box) for c in report.columns])
    ws.append([cell(f"({i})", font, center, box) for i in range(1, ncols + 1)])

    row_number = header_row + 1
    aligns = [wrap[c.align] for c in report.columns]
    for name, rows in report.sections:
        if name and len(report.sections) > 1:
            row_number += 1
            ws.append([cell(name, bold, wrap["L"], box)]
                      + [cell(None, font, None, box) for _ in range(ncols - 1)])
            ws.merged_cells.add(f"A{row_number}:{last}{row_number}")
        for values in rows:
            row_number += 1
            ws.append([cell(v if v != "" else None, font, aligns[i], box)
                       for i, v in enumerate(values)])
    if report.totals is not None:
        ws.append([cell(v if v != "" else None, bold, aligns[i], box)
                   for i, v in enumerate(report.totals)])

    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------
# PDF


def _font_files() -> tuple[Path, Path, Path]:
    for folder, regular, bold, italic in FONT_CANDIDATES:
        if (folder / regular).exists() and (folder / bold).exists():
            return folder / regular, folder / bold, folder / italic
    raise RuntimeError("no Vietnamese TTF font found (install fonts-liberation2)")


class _Register(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", format="A4")
        regular, bold, italic = _font_files()
        self.add_font("Serif", "", str(regular))
        self.add_font("Serif", "B", str(bold))
        self.add_font("Serif", "I", str(italic))
        self.set_margins(12, 12, 10)
        self.set_auto_page_break(True, 14)
        self.alias_nb_pages()

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font("Serif", "I", 9)
        self.cell(0, 5, f"Trang {self.page_no()}/{{nb}}", align="C")


def _wrap(pdf: FPDF, text: str, width: float, cache: dict[str, float]) -> list[str]:
    """Break ``text`` into lines no wider than ``width`` (mm) in the current font."""

    def measure(word: str) -> float:
        value = cache.get(word)
        if value is None:
            value = cache[word] = pdf.get_string_width(word)
        return value

    space = measure(" ")
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for word in paragraph.split():
            size = measure(word)
            while size > width:  # a word longer than the column: break it by characters
                if line:
                    lines.append(line)
                    line, used = "", 0.0
                cut = len(word)
                while cut > 1 and pdf.get_string_width(word[:cut]) > width:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
                size = measure(word)
            if line and used + space + size > width:
                lines.append(line)
                line, used = word, size
            else:
                line, used = (f"{line} {word}", used + space + size) if line else (word, size)
        lines.append(line)
    return lines or [""]


class _Table:
    """A bordered table drawn row by row; the header repeats at the top of each page."""

    LINE = 4.3
    PAD = 1.0

    def __init__(self, pdf: _Register, report: Report) -> None:
        self.pdf = pdf
        total = sum(c.width for c in report.columns)
        self.widths = [c.width * pdf.epw / total for c in report.columns]
        self.aligns = [c.align for c in report.columns]
        self.headers = [c.header for c in report.columns]
        self.cache: dict[tuple[str, str], dict[str, float]] = {"": {}, "B": {}}

    def _lines(self, style: str, text: str, width: float) -> list[str]:
        self.pdf.set_font("Serif", style, 9)
        return _wrap(self.pdf, text, width - 2 * self.PAD, self.cache.setdefault(style, {}))

    def _draw(self, cells: list[list[str]], widths: list[float], aligns: list[str],
              style: str, middle: bool = False) -> None:
        pdf = self.pdf
        limit = pdf.page_break_trigger - pdf.t_margin - 30
        most = max(len(lines) for lines in cells)
        height = most * self.LINE + 2 * self.PAD
        if height > limit:  # an enormous cell: cut it to one page
            keep = max(1, int((limit - 2 * self.PAD) / self.LINE))
            cells = [lines[:keep - 1] + [lines[keep - 1] + " …"] if len(lines) > keep
                     else lines for lines in cells]
            most = keep
            height = most * self.LINE + 2 * self.PAD
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            self.header()
        y = pdf.get_y()
        x = pdf.l_margin
        pdf.set_font("Serif", style, 9)
        for lines, width, align in zip(cells, widths, aligns, strict=True):
            pdf.rect(x, y, width, height)
            top = y + self.PAD + (height - 2 * self.PAD - len(lines) * self.LINE) / 2 \
                if middle else y + self.PAD
            for n, line in enumerate(lines):
                if not line:
                    continue
                if align == "L":
                    left = x + self.PAD
                else:  # dates and numbers repeat: measured once per style
                    known = self.cache.setdefault(style, {})
                    size = known.get(line)
                    if size is None:
                        size = known[line] = pdf.get_string_width(line)
                    left = x + (width - size) / 2 if align == "C" else x + width - self.PAD - size
                pdf.text(left, top + n * self.LINE + self.LINE * 0.75, line)
            x += width
        pdf.set_y(y + height)

    def header(self) -> None:
        cells = [self._lines("B", h, w) for h, w in zip(self.headers, self.widths, strict=True)]
        centre = ["C"] * len(cells)
        self._draw(cells, self.widths, centre, "B", middle=True)
        self._draw([[f"({i})"] for i in range(1, len(cells) + 1)], self.widths, centre, "")

    def row(self, values: tuple[Any, ...], style: str = "") -> None:
        cells = [self._lines(style, "" if v is None else str(v), w)
                 for v, w in zip(values, self.widths, strict=True)]
        self._draw(cells, self.widths, self.aligns, style)

    def banner(self, text: str) -> None:
        width = sum(self.widths)
        self._draw([self._lines("B", text, width)], [width], ["L"], "B")


def to_pdf(report: Report) -> bytes:
    """The report as a printable A4-landscape PDF; the header repeats on every page."""
    pdf = _Register()
    pdf.set_title(f"{report.title} - {report.org_name}")
    pdf.set_creator("eoffice")
    pdf.add_page()
    width = pdf.epw
    pdf.set_font("Serif", "", 11)
    if report.parent_name:
        pdf.cell(width / 2, 5.5, report.parent_name.upper(), align="C",
                 new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Serif", "B", 11)
    pdf.cell(width / 2, 5.5, report.org_name.upper(), align="C",
             new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_font("Serif", "B", 15)
    pdf.cell(width, 8, report.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Serif", "I", 11)
    pdf.cell(width, 6, period_text(report), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if report.note:
        pdf.set_font("Serif", "I", 9.5)
        pdf.multi_cell(width, 5, report.note, align="C", new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)
    pdf.ln(3)
    pdf.set_line_width(0.2)
    table = _Table(pdf, report)
    table.header()
    for name, rows in report.sections:
        if name and len(report.sections) > 1:
            table.banner(name)
        for values in rows:
            table.row(values)
    if report.totals is not None:
        table.row(report.totals, "B")
    if report.row_count == 0:
        pdf.ln(4)
        pdf.set_font("Serif", "I", 11)
        pdf.cell(width, 6, "Không có văn bản nào trong kỳ.", align="C")
    return bytes(pdf.output())
