"""Helpers shared by the signing tests (imported as a top-level module by pytest)."""

from __future__ import annotations

import io

from fpdf import FPDF
from PIL import Image, ImageDraw

from signing.appearance import FONT_PATH
from signing.sign import Box, DraftLayout

PIN = "123456"


def make_signature_png() -> bytes:
    """A blue handwritten-looking stroke on a transparent background."""
    image = Image.new("RGBA", (360, 140), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(10, 110), (80, 20), (150, 100), (220, 30), (300, 90), (350, 40)],
              fill=(20, 40, 200, 255), width=9)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def make_seal_png() -> bytes:
    """A red round seal on a transparent background."""
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 392, 392), outline=(220, 20, 20, 255), width=14)
    draw.ellipse((70, 70, 330, 330), outline=(220, 20, 20, 255), width=8)
    draw.regular_polygon((200, 200, 50), 5, fill=(220, 20, 20, 255))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def make_pdf(pages: int = 1, text: str = "Quyết định về việc ban hành quy chế") -> bytes:
    """An A4 draft with Vietnamese text on each page."""
    pdf = FPDF(format="A4")
    pdf.add_font("Serif", fname=str(FONT_PATH))
    for index in range(pages):
        pdf.add_page()
        pdf.set_font("Serif", size=13)
        pdf.multi_cell(0, 7, f"ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG\n{text}\nTrang {index + 1}")
    return bytes(pdf.output())


LAYOUT = DraftLayout(
    page=0,
    number_box=Box(60, 740, 260, 760),
    date_box=Box(300, 740, 550, 760),
    leader_box=Box(340, 470, 520, 560),
)


