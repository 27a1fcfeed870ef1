"""Appearances rendered with pdftoppm: blue signature, red seal over its left third,
black info text at the top right; the bundled font and its metrics."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont
from PIL import Image
from signing_helpers import LAYOUT, make_pdf

from signing.appearance import FONT_PATH, attachment_appearance, info_box, text_width, vietnam_time
from signing.sign import (
    PadesLevel,
    certify_draft,
    fill_number,
    prepare_draft,
    seal_document,
    sign_attachment,
    sign_copy,
)

DPI = 72  # one pixel per point: PDF boxes map directly to pixels

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="needs poppler-utils")


def render(pdf: bytes, tmp_path: Path) -> Image.Image:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", str(DPI), "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p")],
        check=True,
    )
    return Image.open(next(tmp_path.glob("p-*.png"))).convert("RGB")


def count(image: Image.Image, box: tuple[float, float, float, float], predicate) -> int:
    height = image.height
    x0, y0, x1, y1 = box
    crop = image.crop((int(x0), int(height - y1), int(x1), int(height - y0)))
    pixels = crop.load()
    return sum(
        1 for x in range(crop.width) for y in range(crop.height) if predicate(pixels[x, y])
    )


def is_blue(p) -> bool:
    return p[2] > 120 and p[0] < 110 and p[1] < 130


def is_red(p) -> bool:
    return p[0] > 150 and p[1] < 110 and p[2] < 110


def is_dark(p) -> bool:
    return max(p) < 90


def test_font_is_small_rescaled_and_vietnamese() -> None:
    font = TTFont(str(FONT_PATH))
    assert font["head"].unitsPerEm == 1000
    assert FONT_PATH.stat().st_size < 60_000
    cmap = font.getBestCmap()
    for ch in "ỦyđĐơƯạếộữỹỵẶ₫":
        assert ord(ch) in cmap, ch
    assert (FONT_PATH.parent / "OFL.txt").exists()
    # Times-compatible metrics: "n" is half an em
    assert 480 <= text_width("n", 1000) <= 520


def test_person_and_seal_rendering(
    person_key, body_key, signature_png, seal_png, options, tmp_path
) -> None:
    prepared = prepare_draft(make_pdf(), LAYOUT)
    certified = certify_draft(prepared, person_key, signature_png=signature_png, options=options)
    image = render(certified.pdf, tmp_path / "a")
    leader = LAYOUT.leader_box.as_tuple()
    assert count(image, leader, is_blue) > 300
    assert count(image, LAYOUT.body_box().as_tuple(), is_red) == 0

    filled = fill_number(certified.pdf, number="Số: 12/QĐ-UBND", date_line="ngày 05/01/2024")
    sealed = seal_document(
        filled, body_key, seal_png=seal_png, options=replace(options, level=PadesLevel.B_T)
    )
    image = render(sealed.pdf, tmp_path / "b")
    body = LAYOUT.body_box()
    # real size: 36 mm ≈ 102 pt square, its right edge at a third of the leader box
    assert round(body.width) == 102
    assert body.x1 == pytest.approx(LAYOUT.leader_box.x0 + LAYOUT.leader_box.width / 3)
    red_total = count(image, body.as_tuple(), is_red)
    assert red_total > 500
    overlap = (LAYOUT.leader_box.x0, body.y0, body.x1, body.y1)
    assert count(image, overlap, is_red) > 50  # the seal covers the left third
    right_part = (body.x1 + 2, LAYOUT.leader_box.y0, LAYOUT.leader_box.x1, LAYOUT.leader_box.y1)
    assert count(image, right_part, is_red) == 0
    assert count(image, LAYOUT.number_box.as_tuple(), is_dark) > 30


def test_attachment_info_text(body_key, options, tmp_path) -> None:
    moment = datetime(2024, 1, 5, 2, 30, 15, tzinfo=UTC)
    result = sign_attachment(
        make_pdf(), body_key, main_number="12/QĐ-UBND",
        body_name="Ủy ban nhân dân tỉnh Kiên Giang",
        options=replace(options, level=PadesLevel.B_T), signed_at=moment,
    )
    appearance = attachment_appearance("12/QĐ-UBND", "Ủy ban nhân dân tỉnh Kiên Giang", moment)
    assert appearance.lines[-1].endswith("2024-01-05T09:30:15+07:00")
    box = info_box(appearance, 595.28, 841.89)
    assert box[2] > 500 and box[3] > 800  # top right
    image = render(result.pdf, tmp_path / "c")
    assert count(image, box, is_dark) > 100
    assert count(image, box, lambda p: is_red(p) or is_blue(p)) == 0
    path = tmp_path / "c.pdf"
    path.write_bytes(result.pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Kèm theo văn bản số: 12/QĐ-UBND" in text
    assert "2024-01-05T09:30:15+07:00" in text
    assert "Ủy ban nhân dân tỉnh Kiên Giang" in text


def test_copy_info_text(body_key, options, tmp_path) -> None:
    result = sign_copy(
        make_pdf(), body_key, copy_form="SAO Y", body_name="Văn phòng UBND tỉnh",
        options=replace(options, level=PadesLevel.B_B),
    )
    path = tmp_path / "d.pdf"
    path.write_bytes(result.pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "SAO Y" in text
    assert "Văn phòng UBND tỉnh" in text
    assert vietnam_time(result.signed_at)[:10] in text


def _embedded_font_chars(pdf: bytes) -> list[set[str]]:
    """The characters each embedded TrueType font program of ``pdf`` can draw."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(pdf))
    found = []
    for ref in reader.xrefs.explicit_refs_in_revision(reader.xrefs.total_revisions - 1):
        obj = reader.get_object(ref)
        if isinstance(obj, dict) and "/FontFile2" in obj:
            program = obj["/FontFile2"].get_object().data
            cmap = TTFont(io.BytesIO(program)).getBestCmap()
            found.append({chr(code) for code in cmap})
    return found


def test_cached_font_subsets_cover_the_text(draft_pdf: bytes) -> None:
    from signing import appearance

    prepared = prepare_draft(draft_pdf, LAYOUT)
    appearance._subsets.clear()
    texts = [("Số: 12/QĐ-UBND", "ngày 05/01/2024"), ("Số: 12/QĐ-UBND", "ngày 05/01/2024"),
             ("Số: 7/TB-VP", "Kiên Giang, ngày 29 tháng 02 năm 2024")]
    sizes = []
    for number, date_line in texts:
        filled = fill_number(prepared, number=number, date_line=date_line)
        fonts = _embedded_font_chars(filled)
        assert len(fonts) == 2
        needed = [set(number) - {" "}, set(date_line) - {" "}]
        for chars in needed:
            assert any(chars <= font for font in fonts), chars
        sizes.append(len(appearance._subsets))
    assert sizes == [2, 2, 4]  # the repeated texts re-used both cached subsets
