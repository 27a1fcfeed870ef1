"""Decree 30/2020 sets the place/date line in italics: ``fill_number`` writes it with the
bundled Eoffice Serif Italic, the number/notation with the Regular style."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from fontTools.ttLib import TTFont
from pyhanko.pdf_utils.reader import PdfFileReader
from signing_helpers import LAYOUT

from signing.appearance import FONT_PATH, ITALIC_FONT_PATH
from signing.sign import DATE_FIELD, NUMBER_FIELD, fill_number, prepare_draft


def test_italic_font_is_small_rescaled_vietnamese_and_italic() -> None:
    font = TTFont(str(ITALIC_FONT_PATH))
    assert font["head"].unitsPerEm == 1000
    assert ITALIC_FONT_PATH.stat().st_size < 60_000
    assert font["post"].italicAngle < -5
    assert font["head"].macStyle & 0b10  # italic bit
    assert font["name"].getDebugName(6) == "EofficeSerif-Italic"
    cmap = font.getBestCmap()
    for ch in "ỦyđĐơƯạếộữỹỵẶ₫":
        assert ord(ch) in cmap, ch
    regular = TTFont(str(FONT_PATH))
    assert regular["post"].italicAngle == 0


def _field_font(reader: PdfFileReader, name: str) -> tuple[str, float]:
    for ref in reader.root["/AcroForm"]["/Fields"]:
        field = ref.get_object()
        if str(field.get("/T")) != name:
            continue
        stream = field["/AP"]["/N"].get_object()
        (font,) = stream["/Resources"]["/Font"].values()
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        descriptor = descendant["/FontDescriptor"].get_object()
        return str(descriptor["/FontName"]), float(descriptor["/ItalicAngle"])
    raise AssertionError(f"no field {name}")


def test_date_line_italic_number_upright(draft_pdf: bytes) -> None:
    filled = fill_number(prepare_draft(draft_pdf, LAYOUT), number="Số: 12/QĐ-UBND",
                         date_line="Kiên Giang, ngày 05 tháng 01 năm 2024")
    reader = PdfFileReader(io.BytesIO(filled))
    number_font, number_angle = _field_font(reader, NUMBER_FIELD)
    date_font, date_angle = _field_font(reader, DATE_FIELD)
    assert number_font.endswith("+EofficeSerif-Regular") and number_angle == 0
    assert date_font.endswith("+EofficeSerif-Italic") and date_angle < -5


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_italic_date_line_extracts_as_text(draft_pdf: bytes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    filled = fill_number(prepare_draft(draft_pdf, LAYOUT), number="Số: 7/TB-VP",
                         date_line="Kiên Giang, ngày 29 tháng 02 năm 2024")
    path = tmp_path / "filled.pdf"
    path.write_bytes(filled)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Kiên Giang, ngày 29 tháng 02 năm 2024" in text
    assert "Số: 7/TB-VP" in text
