"""Decree 30/2020 signature appearances (DOMAIN.md §1d).

* **person** — the signer's handwritten-signature image (blue, transparent PNG), centred
  in the leader's signature box, which lies between the position line and the name;
* **body** — the body's seal (red, transparent PNG) at real size, in a field covering
  the left third of the person's signature image (the field geometry is decided when the
  draft is prepared, see :meth:`signing.sign.DraftLayout.body_box`);
* **attachment** and **e-copy** — no image: an info text at the top right of page 1
  (the main document's number/notation, or the copy form, plus the body and the signing
  time in ISO 8601 with ``+07:00``), in a Times-New-Roman-compatible font, 10 pt, black.

Text uses the bundled *Eoffice Serif* (Liberation Serif 2 rescaled to 1000 units/em
and subset to Vietnamese, see ``fonts/build_font.py``): pyHanko assumes 1000 units/em
when it writes glyph widths, so an unscaled 2048-unit font would come out stretched.
Its Italic style sets the place/date line of :func:`signing.sign.fill_number`, which
Decree 30/2020 (Appendix I) prints in italics.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Literal

from fontTools.ttLib import TTFont
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import BaseStampStyle, StaticStampStyle, TextStampStyle

from .errors import SigningLibraryError

FONT_PATH = Path(__file__).with_name("fonts") / "EofficeSerif-Regular.ttf"
ITALIC_FONT_PATH = FONT_PATH.with_name("EofficeSerif-Italic.ttf")
VIETNAM_TZ = timezone(timedelta(hours=7))
INFO_FONT_SIZE = 10
INFO_LEADING = 12
MM = 72 / 25.4

CopyForm = Literal["SAO Y", "SAO LỤC", "TRÍCH SAO"]


class AppearanceError(SigningLibraryError):
    """An appearance input (image, text) cannot be used."""

    default_vi = "Hình ảnh hoặc nội dung hiển thị chữ ký không hợp lệ"
    default_en = "Invalid signature appearance image or text"


@dataclass(frozen=True)
class ImageAppearance:
    """A transparent PNG drawn inside the signature field (person or body)."""

    png: bytes = field(repr=False)
    """The PNG bytes (RGBA or LA, transparent background)."""

    kind: Literal["person", "body"] = "person"
    """Whose image this is."""


@dataclass(frozen=True)
class InfoTextAppearance:
    """Lines of black 10 pt text at the top right of page 1 (attachment, e-copy)."""

    lines: tuple[str, ...]
    """The text lines, top to bottom."""

    kind: Literal["attachment", "copy"] = "attachment"
    """What is being signed."""


Appearance = ImageAppearance | InfoTextAppearance


def vietnam_time(moment: datetime) -> str:
    """Format ``moment`` as ISO 8601 in Vietnam time, e.g. ``2024-01-05T09:30:15+07:00``."""
    return moment.astimezone(VIETNAM_TZ).replace(microsecond=0).isoformat()


def person_appearance(png: bytes) -> ImageAppearance:
    """The leader's signature image appearance."""
    _open_png(png)
    return ImageAppearance(png=png, kind="person")


def seal_appearance(png: bytes) -> ImageAppearance:
    """The body's seal image appearance."""
    _open_png(png)
    return ImageAppearance(png=png, kind="body")


def attachment_appearance(
    main_number: str, body_name: str, signed_at: datetime
) -> InfoTextAppearance:
    """Info text for a separate-file attachment: main document number, body, time."""
    return InfoTextAppearance(
        lines=(
            f"Kèm theo văn bản số: {main_number}",
            body_name,
            f"Thời gian ký: {vietnam_time(signed_at)}",
        ),
        kind="attachment",
    )


def copy_appearance(copy_form: CopyForm, body_name: str, signed_at: datetime) -> InfoTextAppearance:
    """Info text for an electronic copy: copy form, copying body, time."""
    return InfoTextAppearance(
        lines=(copy_form, body_name, f"Thời gian ký: {vietnam_time(signed_at)}"),
        kind="copy",
    )


@lru_cache(maxsize=4)
def _font_bytes(path: str = str(FONT_PATH)) -> bytes:
    return Path(path).read_bytes()


_SUBSET_CACHE_SIZE = 64
_subsets: OrderedDict[tuple[str, tuple[int, ...]], bytes] = OrderedDict()
_subsets_lock = threading.Lock()


class _SubsetCachingAccumulator(GlyphAccumulator):
    """A glyph accumulator over the bundled font whose font subsets are cached per set
    of glyphs: fontTools' subsetting (and re-serialisation) of the font took ~40 % of
    filling the number and date fields; numbers and date lines reuse few glyph sets."""

    font_key: str = str(FONT_PATH)

    def _extract_subset(self, options=None):  # type: ignore[no-untyped-def]
        if options is not None:
            super()._extract_subset(options)
            return
        key = (self.font_key, tuple(sorted(self._glyphs)))
        with _subsets_lock:
            data = _subsets.get(key)
            if data is not None:
                _subsets.move_to_end(key)
        if data is None:
            super()._extract_subset()
            buf = io.BytesIO()
            self.tt.save(buf)
            data = buf.getvalue()
            with _subsets_lock:
                _subsets[key] = data
                while len(_subsets) > _SUBSET_CACHE_SIZE:
                    _subsets.popitem(last=False)
        subset = TTFont(io.BytesIO(data))
        self.tt = subset
        self.cidfont_obj._tt = subset  # what CIDFontType2.set_font_file embeds


@dataclass(frozen=True)
class BundledFontFactory(GlyphAccumulatorFactory):
    """``GlyphAccumulatorFactory`` reading a bundled font (``font_file``) from memory.

    The stock factory opens the font file at every signature and never closes it; the
    font subsets are cached per font and glyph set (see :class:`_SubsetCachingAccumulator`).
    """

    font_file: str = str(FONT_PATH)

    def create_font_engine(self, writer, obj_stream=None):  # type: ignore[no-untyped-def]
        """A glyph accumulator over an in-memory copy of the bundled font."""
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        engine = _SubsetCachingAccumulator(
            writer=writer,
            font_handle=io.BytesIO(_font_bytes(self.font_file)),
            font_size=self.font_size,
            ot_script_tag=self.ot_script_tag,
            ot_language_tag=self.ot_language_tag,
            writing_direction=self.writing_direction,
            bcp47_lang_code=self.bcp47_lang_code,
            obj_stream=obj_stream,
        )
        engine.font_key = self.font_file
        return engine


def font_factory(size: float, *, italic: bool = False) -> GlyphAccumulatorFactory:
    """The font factory for text in appearances and filled fields (Regular or Italic)."""
    path = ITALIC_FONT_PATH if italic else FONT_PATH
    return BundledFontFactory(font_file=str(path), font_size=int(size))


@lru_cache(maxsize=32)
def _open_png(png: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise AppearanceError(
            "Tệp ảnh chữ ký/con dấu không phải ảnh PNG hợp lệ",
            "The signature or seal image is not a valid PNG",
        ) from exc
    if image.mode not in ("RGBA", "LA"):
        image = image.convert("RGBA")
    return image


@lru_cache(maxsize=1)
def _advance_widths() -> tuple[dict[int, int], int]:
    font = TTFont(str(FONT_PATH))
    cmap = font.getBestCmap()
    hmtx = font["hmtx"]
    widths = {cp: hmtx[name][0] for cp, name in cmap.items()}
    return widths, int(font["head"].unitsPerEm)


def text_width(text: str, size: float = INFO_FONT_SIZE) -> float:
    """Width in points of ``text`` set in the bundled font at ``size``."""
    widths, upem = _advance_widths()
    fallback = widths.get(ord("n"), 500)
    return sum(widths.get(ord(ch), fallback) for ch in text) * size / upem


def info_box(
    appearance: InfoTextAppearance,
    page_width: float,
    page_height: float,
    *,
    right_margin: float = 15 * MM,
    top_margin: float = 8 * MM,
) -> tuple[float, float, float, float]:
    """The top-right rectangle (x0, y0, x1, y1) holding the info text on page 1."""
    # generous padding: pyHanko's text box adds its own insets, and clipping a
    # character of the number or the time is worse than a few points of white space
    width = max(text_width(line) for line in appearance.lines) * 1.05 + 16
    height = INFO_LEADING * len(appearance.lines) + 12
    x1 = page_width - right_margin
    y1 = page_height - top_margin
    return (round(x1 - width, 2), round(y1 - height, 2), round(x1, 2), round(y1, 2))


def stamp_style(appearance: Appearance) -> BaseStampStyle:
    """The pyHanko stamp style drawing ``appearance``."""
    if isinstance(appearance, ImageAppearance):
        image = _open_png(appearance.png)
        return StaticStampStyle(
            background=PdfImage(image),
            background_opacity=1.0,
            border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins.uniform(0),
                inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
            ),
        )
    text = "\n".join(line.replace("%", "%%") for line in appearance.lines)
    return TextStampStyle(
        stamp_text=text,
        border_width=0,
        background=None,
        text_box_style=TextBoxStyle(
            font=font_factory(INFO_FONT_SIZE),
            font_size=INFO_FONT_SIZE,
            leading=INFO_LEADING,
            border_width=0,
            text_color=(0, 0, 0),
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MAX,
            y_align=layout.AxisAlignment.ALIGN_MAX,
            margins=layout.Margins.uniform(2),
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )
