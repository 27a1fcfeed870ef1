"""Generated signature and seal images for the demo bodies and leaders.

Decree 30/2020 Appendix I (DOMAIN.md §1d) fixes how a signed e-document looks: the competent
person's signature image is **blue on a transparent background**, and the body's seal is
**red, at true size, on a transparent background**, covering the left third of the signature.
The demo has no scanned artwork, so this module draws both with Pillow alone.

Design:

- **Signatures** are pen trajectories, not typed names. The family-name initial becomes a tall
  looping capital, the given name becomes a run of cursive loops (a prolate trochoid: each
  "letter" is one loop whose height follows the real letter — ascender, x-height or
  descender), and a flourish (underline, back-sweep or rising tail) closes it. The whole path
  is slanted and drifts upward a little, like a hand. Stroke width follows pen speed (slow =
  more pressure = wider) and tapers at both ends. The path is drawn as an alpha mask at 3x
  and box-downsampled, which anti-aliases it, then coloured blue.
- **Seals** follow the usual Vietnamese layout: a thick outer ring with a thin ring inside it,
  the body's name in capitals along the upper rim (each glyph rotated to follow the circle and
  condensed a little, as seal engravers do), the parent body / locality along the lower rim
  reading left to right with the glyph tops towards the centre, small stars separating the two
  texts, a thin inner circle and a five-pointed star in the centre. The ink gets a little
  low-frequency and fine alpha noise, as a rubber stamp leaves. The pixel size is the real
  diameter at the requested resolution and the PNG's pHYs chunk is written so that the physical
  size equals the diameter exactly (the signing library places the image at real size).
- **Determinism**: every random choice comes from a ``random.Random`` seeded with SHA-256 of
  the inputs (``hash()`` is salted per process), and Pillow writes no timestamps, so the same
  input gives byte-identical PNGs.
- **Fonts**: the seal text uses DejaVu Sans Bold from Debian's ``fonts-dejavu-core``; Debian's
  Liberation fonts lack most precomposed Vietnamese capitals (Ễ, Ộ, Ặ ...), so they are not
  used. A missing font file or a character the font cannot draw raises a clear error instead of
  silently rendering boxes.
"""

from __future__ import annotations

import hashlib
import io
import math
import random
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFont

__all__ = [
    "SEAL_DIAMETERS_MM",
    "SEAL_INK_RGB",
    "SIGNATURE_INK_RGB",
    "ArtworkError",
    "FontNotFoundError",
    "MissingGlyphError",
    "make_seal_png",
    "make_signature_png",
    "seal_diameter_for_tier",
]

SIGNATURE_INK_RGB: tuple[int, int, int] = (0, 51, 170)
"""Ballpoint blue used for leaders' signatures."""

SEAL_INK_RGB: tuple[int, int, int] = (210, 20, 30)
"""Stamp-pad red used for bodies' seals."""

SEAL_DIAMETERS_MM: dict[str, float] = {
    "province": 40.0,
    "department": 36.0,
    "district": 36.0,
    "commune": 35.0,
    "unit": 34.0,
}
"""Seal diameter per body tier, in millimetres."""

FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/liberation"),
)
"""Directories searched for font files (Debian's fonts-dejavu-core and fonts-liberation)."""

SEAL_FONT_FILE = "DejaVuSans-Bold.ttf"
"""Seal lettering font; must cover Vietnamese precomposed capitals."""

_SUPERSAMPLE = 3
_MM_PER_INCH = 25.4

# Letter classes of the given name, used to shape the cursive loops.
_ASCENDERS = frozenset("bdhklt")
_DESCENDERS = frozenset("gjpqy")


class ArtworkError(Exception):
    """Base class for errors raised while generating artwork."""


class FontNotFoundError(ArtworkError, FileNotFoundError):
    """A font file needed to draw the artwork is not installed."""


class MissingGlyphError(ArtworkError, ValueError):
    """The font has no glyph for a character of the requested text."""


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _rng_for(*parts: object) -> random.Random:
    """Return a generator seeded from the inputs, stable across processes."""
    material = "\x1f".join(repr(p) for p in parts).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(material).digest()[:16], "big"))


def _font_path(file_name: str) -> Path:
    """Locate a font file in FONT_DIRS or raise FontNotFoundError."""
    for directory in FONT_DIRS:
        candidate = directory / file_name
        if candidate.is_file():
            return candidate
    searched = ", ".join(str(d) for d in FONT_DIRS)
    raise FontNotFoundError(
        f"Không tìm thấy phông chữ {file_name} (đã tìm trong: {searched}); hãy cài gói "
        f"fonts-dejavu-core. / Font file {file_name} not found in {searched}; install the "
        "Debian package fonts-dejavu-core."
    )


@lru_cache(maxsize=32)
def _load_font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


@lru_cache(maxsize=4)
def _font_codepoints(path: Path) -> frozenset[int]:
    """Code points the font has a glyph for (read once per font file)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _require_glyphs(path: Path, text: str) -> None:
    covered = _font_codepoints(path)
    missing = sorted({ch for ch in text if not ch.isspace() and ord(ch) not in covered})
    if missing:
        chars = " ".join(f"{ch!r} (U+{ord(ch):04X})" for ch in missing)
        raise MissingGlyphError(
            f"Phông chữ {path.name} không có ký tự: {chars}. / "
            f"Font {path.name} has no glyph for: {chars}."
        )


def _tinted_png(mask: Image.Image, rgb: tuple[int, int, int], dpi: float | None) -> bytes:
    """Colour an alpha mask with one ink colour and encode it as an RGBA PNG."""
    channels = [Image.new("L", mask.size, value) for value in rgb]
    image = Image.merge("RGBA", (*channels, mask))
    buffer = io.BytesIO()
    if dpi is None:
        image.save(buffer, format="PNG")
    else:
        image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------

_Point = tuple[float, float]


def _base_letters(word: str) -> str:
    """Lower-case ASCII skeleton of a word ('Đức' -> 'duc') to classify letter shapes."""
    decomposed = unicodedata.normalize("NFD", word.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha()).lower()


def _bezier(p0: _Point, p1: _Point, p2: _Point, p3: _Point, steps: int) -> list[_Point]:
    points = []
    for i in range(steps + 1):
        t = i / steps
        u = 1.0 - t
        a, b, c, d = u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t
        points.append(
            (
                a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1],
            )
        )
    return points


def _letter_loop(x0: float, height: float, width: float, loop: float, steps: int) -> list[_Point]:
    """One cursive letter: a trochoid arch from the baseline, looping back at its extreme.

    ``height`` > 0 loops above the baseline, < 0 below it (a descender). The backward term
    ``loop * sin`` makes the pen travel leftwards near the top, which closes the loop when
    ``loop`` exceeds ``width / 2π``.
    """
    points = []
    for i in range(1, steps + 1):
        theta = 2 * math.pi * i / steps
        x = x0 + width * theta / (2 * math.pi) + loop * math.sin(theta)
        y = height * (1 - math.cos(theta)) / 2
        points.append((x, y))
    return points


def _capital(path: list[_Point], x: float, letter: str, height: float, rng: random.Random) -> float:
    """Append a capital's stroke to ``path`` starting at (x, 0); return the next pen x.

    Round letters become an oval, letters with upright strokes a zigzag of sharp arches, the
    rest one tall loop: enough for initials to differ the way hands abbreviate them.
    """
    if letter in "ocqgdes":
        rx, ry = rng.uniform(0.5, 0.8), height / 2
        turn = rng.uniform(0.3, 0.8)
        steps = 110
        for i in range(1, steps + 1):
            # Counter-clockwise (in y-up model space) from the bottom, once round plus a bit.
            alpha = -math.pi / 2 + (2 * math.pi + turn) * i / steps
            path.append((x + 0.5 * rx + rx * math.cos(alpha), ry + ry * math.sin(alpha)))
        px, py = path[-1]
        next_x = x + 1.5 * rx + rng.uniform(0.3, 0.6)
        path.extend(_bezier((px, py), (px + 0.2, py * 0.4), (next_x - 0.3, 0.0), (next_x, 0.0), 20))
        return next_x
    if letter in "mnhkvwuxyi":
        for _ in range(2 if letter in "nhkuvxyi" else 3):
            width = rng.uniform(0.45, 0.7)
            path.extend(
                _letter_loop(
                    x, height * rng.uniform(0.85, 1.0), width, width * rng.uniform(0.0, 0.08), 45
                )
            )
            x += width
        return x
    width = rng.uniform(0.9, 1.4)
    path.extend(_letter_loop(x, height, width, width * rng.uniform(0.35, 0.6), 90))
    return x + width


def _signature_strokes(full_name: str, rng: random.Random) -> list[list[_Point]]:
    """Build the pen strokes (model units, y up, x-height about 1) for a name."""
    words = unicodedata.normalize("NFC", full_name).split()
    skeletons = [_base_letters(w) for w in words]
    words = [w for w, s in zip(words, skeletons, strict=True) if s]
    skeletons = [s for s in skeletons if s]
    if not words:
        raise ValueError(
            "Tên người ký phải có ít nhất một chữ cái. / The signer's name needs a letter."
        )

    given = skeletons[-1]
    # Vietnamese order is family - middle - given: the family initial becomes the capital,
    # a middle initial sometimes a second (smaller) capital, the given name the cursive run.
    capitals: list[str] = [skeletons[0][0]] if len(words) > 1 else []
    if len(words) > 2 and rng.random() < 0.5:
        capitals.append(skeletons[1][0])

    path: list[_Point] = []
    x = 0.0
    entry_y = -rng.uniform(0.2, 0.6)
    path.extend(
        _bezier(
            (x - rng.uniform(0.3, 0.6), entry_y),
            (x - 0.2, entry_y * 0.3),
            (x - 0.1, -0.05),
            (x, 0.0),
            12,
        )
    )
    for index, letter in enumerate(capitals):
        x = _capital(path, x, letter, rng.uniform(2.4, 3.3) * (1.0 if index == 0 else 0.75), rng)

    # The given name: its capital, then at most six cursive letters of the rest.
    given_height = rng.uniform(1.5, 2.3) if capitals else rng.uniform(2.0, 2.8)
    x = _capital(path, x, given[0], given_height, rng)
    rest = given[1:7] or given[:1]
    for letter in rest:
        if letter in _ASCENDERS:
            height, width = rng.uniform(1.5, 2.0), rng.uniform(0.45, 0.65)
            loop = width * rng.uniform(0.25, 0.4)
        elif letter in _DESCENDERS:
            height, width = -rng.uniform(1.1, 1.6), rng.uniform(0.45, 0.65)
            loop = width * rng.uniform(0.25, 0.4)
        else:
            height, width = rng.uniform(0.55, 0.95), rng.uniform(0.4, 0.65)
            # Mix closed loops ('e', 'l'-like) with open arches ('n', 'm'-like).
            loop = width * (rng.uniform(0.2, 0.32) if rng.random() < 0.6 else rng.uniform(0, 0.1))
        path.extend(_letter_loop(x, height, width, loop, 40))
        x += width

    x_end, y_end = path[-1]
    x_start = path[0][0]
    span = x_end - x_start
    strokes: list[list[_Point]] = []
    style = rng.choice(("backsweep", "underline", "tail"))
    if style == "backsweep":
        # The pen drops to the right and sweeps back left under the whole name.
        path.extend(
            _bezier(
                (x_end, y_end),
                (x_end + rng.uniform(0.6, 1.2), -rng.uniform(0.8, 1.4)),
                (x_start + span * rng.uniform(0.3, 0.5), -rng.uniform(1.4, 1.9)),
                (x_start - rng.uniform(0.1, 0.5), -rng.uniform(0.6, 1.1)),
                80,
            )
        )
        strokes.append(path)
    elif style == "tail":
        path.extend(
            _bezier(
                (x_end, y_end),
                (x_end + rng.uniform(0.4, 0.8), -rng.uniform(0.4, 0.8)),
                (x_end + rng.uniform(1.0, 1.6), rng.uniform(0.2, 0.6)),
                (x_end + rng.uniform(1.6, 2.4), rng.uniform(1.6, 2.6)),
                60,
            )
        )
        strokes.append(path)
    else:
        strokes.append(path)
        y0 = -rng.uniform(0.5, 0.9)
        strokes.append(
            _bezier(
                (x_start + span * rng.uniform(0.0, 0.2), y0),
                (x_start + span * 0.4, y0 - rng.uniform(0.3, 0.6)),
                (x_end + rng.uniform(0.2, 0.6), y0 - rng.uniform(0.0, 0.3)),
                (x_end + rng.uniform(0.8, 1.4), y0 + rng.uniform(0.2, 0.6)),
                70,
            )
        )

    # A quick dash through the capital: the bar of Đ/T, or just a habit of the hand.
    first = (words[0] if capitals else words[-1])[0]
    if first in "ĐđTt" or rng.random() < 0.3:
        bar_y = rng.uniform(1.0, 1.6)
        strokes.append(
            _bezier(
                (x_start - 0.2, bar_y),
                (x_start + 0.4, bar_y + 0.15),
                (x_start + 1.0, bar_y + 0.1),
                (x_start + rng.uniform(1.3, 1.8), bar_y + rng.uniform(-0.1, 0.3)),
                20,
            )
        )

    # A hand slants and drifts; a slow wobble keeps the loops from being identical.
    slant = rng.uniform(0.25, 0.45)
    drift = rng.uniform(0.0, 0.12)
    wobble_amp, wobble_freq = rng.uniform(0.03, 0.08), rng.uniform(0.8, 1.6)
    wobble_phase = rng.uniform(0, 2 * math.pi)
    return [
        [
            (
                px + slant * py,
                py + drift * px + wobble_amp * math.sin(wobble_freq * px + wobble_phase),
            )
            for px, py in stroke
        ]
        for stroke in strokes
    ]


def _pressure_widths(points: Sequence[_Point], base: float) -> list[float]:
    """Stroke width per point: wider where the pen is slow, tapered at both ends."""
    n = len(points)
    speeds = [math.dist(points[i], points[i + 1]) for i in range(n - 1)]
    speeds.append(speeds[-1] if speeds else 0.0)
    median = sorted(speeds)[len(speeds) // 2] or 1.0
    raw = [min(1.15, max(0.5, 1.3 - 0.4 * s / median)) for s in speeds]
    # Smooth so the width swells and thins instead of flickering.
    window = 5
    widths = []
    for i in range(n):
        lo, hi = max(0, i - window), min(n, i + window + 1)
        widths.append(sum(raw[lo:hi]) / (hi - lo))
    taper = max(1, n // 12)
    for i in range(n):
        edge = min(i, n - 1 - i)
        if edge < taper:
            widths[i] *= 0.35 + 0.65 * edge / taper
    return [base * w for w in widths]


def make_signature_png(
    full_name: str,
    *,
    seed: int | None = None,
    width_px: int = 600,
    height_px: int = 240,
) -> bytes:
    """Draw a handwriting-like blue signature for ``full_name`` as a transparent RGBA PNG."""
    if width_px < 60 or height_px < 30:
        raise ValueError(
            "Ảnh chữ ký phải rộng ít nhất 60 px và cao 30 px. / "
            "A signature image must be at least 60x30 px."
        )
    rng = _rng_for("signature", full_name, seed)
    strokes = _signature_strokes(full_name, rng)

    ss = _SUPERSAMPLE
    canvas_w, canvas_h = width_px * ss, height_px * ss
    base_width = max(1.6, min(width_px, height_px) * 0.022) * ss
    margin = base_width * 1.5 + min(canvas_w, canvas_h) * 0.03

    xs = [p[0] for s in strokes for p in s]
    ys = [p[1] for s in strokes for p in s]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    scale = min(
        (canvas_w - 2 * margin) / max(max_x - min_x, 1e-6),
        (canvas_h - 2 * margin) / max(max_y - min_y, 1e-6),
    )
    offset_x = (canvas_w - scale * (max_x - min_x)) / 2
    offset_y = (canvas_h - scale * (max_y - min_y)) / 2

    mask = Image.new("L", (canvas_w, canvas_h), 0)
    draw = ImageDraw.Draw(mask)
    for stroke in strokes:
        # Model y points up; image y points down.
        pixels = [
            (offset_x + (px - min_x) * scale, offset_y + (max_y - py) * scale) for px, py in stroke
        ]
        widths = _pressure_widths(pixels, base_width)
        for i, ((x, y), w) in enumerate(zip(pixels, widths, strict=True)):
            r = w / 2
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
            if i + 1 < len(pixels):
                draw.line((x, y, *pixels[i + 1]), fill=255, width=max(1, round(w)))
    return _tinted_png(mask.reduce(ss), SIGNATURE_INK_RGB, None)


# --------------------------------------------------------------------------------------------
# Seals
# --------------------------------------------------------------------------------------------

# Radii as fractions of the seal radius.
_OUTER_RING = (0.985, 0.925)
_THIN_RING = (0.895, 0.875)
_TEXT_BAND = (0.855, 0.635)
_INNER_RING = (0.615, 0.600)
_CENTRE_STAR = 0.30
_GLYPH_CONDENSE = 0.82
_MAX_TRACKING_EM = 0.42
_MIN_TRACKING_EM = 0.06
_SEPARATOR_GAP_DEG = 22.0
_LONE_BOTTOM_GAP_DEG = 60.0


def seal_diameter_for_tier(tier: str) -> float:
    """Standard seal diameter in millimetres for a body tier (the keys of SEAL_DIAMETERS_MM)."""
    key = tier.strip().lower()
    try:
        return SEAL_DIAMETERS_MM[key]
    except KeyError:
        known = ", ".join(SEAL_DIAMETERS_MM)
        raise ValueError(
            f"Cấp cơ quan không hợp lệ: {tier!r} (hợp lệ: {known}). / "
            f"Unknown body tier {tier!r} (expected one of: {known})."
        ) from None


def _star_polygon(cx: float, cy: float, radius: float, rotation: float) -> list[_Point]:
    """Vertices of a five-pointed star; ``rotation`` in radians, 0 = point straight up."""
    inner = radius * 0.382
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else inner
        angle = rotation + k * math.pi / 5
        points.append((cx + r * math.sin(angle), cy - r * math.cos(angle)))
    return points


def _ring(draw: ImageDraw.ImageDraw, c: float, radius: float, outer: float, inner: float) -> None:
    r_out, r_in = radius * outer, radius * inner
    draw.ellipse(
        (c - r_out, c - r_out, c + r_out, c + r_out),
        outline=255,
        width=max(1, round(r_out - r_in)),
    )


def _lower_rim_text(body_name: str, parent_name: str | None, locality: str | None) -> str:
    """Parent body and locality for the lower rim, without repeating what is already written."""
    parent = unicodedata.normalize("NFC", parent_name or "").strip()
    place = unicodedata.normalize("NFC", locality or "").strip()
    already = f"{body_name} {parent}".casefold()
    if place and place.casefold() in already:
        place = ""
    return " - ".join(p for p in (parent, place) if p)


def _place_glyph(
    mask: Image.Image,
    font: ImageFont.FreeTypeFont,
    char: str,
    target: _Point,
    rotation: float,
    ascent: float,
    descent: float,
) -> None:
    """Draw ``char`` so its baseline centre lands on ``target``, turned clockwise by ``rotation``.

    The glyph is rendered upright, then one affine transform condenses it horizontally,
    rotates it and moves it to a sub-pixel position; the result is painted as ink.
    """
    # Size the upright canvas from the glyph's real ink box, so wide marks are never clipped.
    left_ink, top_ink, right_ink, bottom_ink = font.getbbox(char, anchor="ms")
    pad = 4
    half_w = max(-left_ink, right_ink, font.getlength(char) / 2)
    above, below = max(ascent, -top_ink), max(descent, bottom_ink)
    src_w = 2 * math.ceil(half_w) + 2 * pad
    src_h = math.ceil(above + below) + 2 * pad
    anchor = (src_w / 2, pad + math.ceil(above))
    glyph = Image.new("L", (src_w, src_h), 0)
    ImageDraw.Draw(glyph).text(anchor, char, font=font, fill=255, anchor="ms")

    reach = math.hypot(max(anchor[0], src_w - anchor[0]), max(anchor[1], src_h - anchor[1]))
    side = 2 * math.ceil(reach) + 2
    left, top = math.floor(target[0]) - side // 2, math.floor(target[1]) - side // 2
    tx, ty = target[0] - left, target[1] - top
    cos_r, sin_r = math.cos(rotation), math.sin(rotation)
    k = _GLYPH_CONDENSE
    # Inverse of: out = T + R(rotation) · diag(k, 1) · (in - anchor)
    a, b = cos_r / k, sin_r / k
    d, e = -sin_r, cos_r
    coefficients = (
        a,
        b,
        anchor[0] - a * tx - b * ty,
        d,
        e,
        anchor[1] - d * tx - e * ty,
    )
    placed = glyph.transform(
        (side, side), Image.Transform.AFFINE, coefficients, resample=Image.Resampling.BICUBIC
    )
    mask.paste(255, (left, top, left + side, top + side), placed)


def _advances(font: ImageFont.FreeTypeFont, text: str) -> list[float]:
    return [font.getlength(ch) * _GLYPH_CONDENSE for ch in text]


def _draw_rim_text(
    mask: Image.Image,
    font: ImageFont.FreeTypeFont,
    text: str,
    centre: float,
    baseline_radius: float,
    arc_radius: float,
    tracking: float,
    upper: bool,
    ascent: float,
    descent: float,
) -> None:
    """Write ``text`` along the rim, centred on 12 o'clock (upper) or 6 o'clock (lower)."""
    advances = _advances(font, text)
    total = sum(advances) + tracking * (len(text) - 1)
    # Angles are clockwise from 12 o'clock. Upper text runs clockwise, lower text runs
    # counter-clockwise so both read left to right.
    direction = 1.0 if upper else -1.0
    mid = 0.0 if upper else math.pi
    position = -total / 2
    for ch, adv in zip(text, advances, strict=True):
        phi = mid + direction * (position + adv / 2) / arc_radius
        position += adv + tracking
        if ch.isspace():
            continue
        target = (
            centre + baseline_radius * math.sin(phi),
            centre - baseline_radius * math.cos(phi),
        )
        rotation = phi if upper else phi - math.pi
        _place_glyph(mask, font, ch, target, rotation, ascent, descent)


def make_seal_png(
    body_name: str,
    *,
    parent_name: str | None = None,
    locality: str | None = None,
    diameter_mm: float = 36.0,
    dpi: int = 300,
) -> bytes:
    """Draw a red round Vietnamese official seal as a transparent RGBA PNG at true size."""
    top_text = unicodedata.normalize("NFC", " ".join(body_name.split())).upper()
    if not top_text:
        raise ValueError("Tên cơ quan không được để trống. / The body name must not be empty.")
    if not 10.0 <= diameter_mm <= 80.0:
        raise ValueError(
            "Đường kính con dấu phải từ 10 đến 80 mm. / Seal diameter must be 10-80 mm."
        )
    if not 72 <= dpi <= 1200:
        raise ValueError("Độ phân giải phải từ 72 đến 1200 dpi. / Resolution must be 72-1200 dpi.")
    bottom_text = unicodedata.normalize(
        "NFC", " ".join(_lower_rim_text(top_text, parent_name, locality).split())
    ).upper()

    font_path = _font_path(SEAL_FONT_FILE)
    _require_glyphs(font_path, top_text + bottom_text)

    size = round(diameter_mm / _MM_PER_INCH * dpi)
    ss = _SUPERSAMPLE if size <= 640 else 2
    canvas = size * ss
    radius = canvas / 2
    centre = canvas / 2
    mask = Image.new("L", (canvas, canvas), 0)
    draw = ImageDraw.Draw(mask)
    _ring(draw, centre, radius, *_OUTER_RING)
    _ring(draw, centre, radius, *_THIN_RING)
    _ring(draw, centre, radius, *_INNER_RING)
    draw.polygon(_star_polygon(centre, centre, radius * _CENTRE_STAR, 0.0), fill=255)

    # Font size: the tallest Vietnamese capital (stacked marks above, dot below) fills the band.
    band_outer, band_inner = radius * _TEXT_BAND[0], radius * _TEXT_BAND[1]
    reference = _load_font(font_path, 200)
    _, ref_top, _, ref_bottom = reference.getbbox("ỄỘẬ", anchor="ls")
    size_px = (band_outer - band_inner) * 0.94 / (ref_bottom - ref_top) * 200

    def arc_radius(font_px: float, upper: bool) -> float:
        scale = font_px / 200
        asc, desc = -ref_top * scale, ref_bottom * scale
        cap = -reference.getbbox("H", anchor="ls")[1] * scale
        mid = (band_outer + band_inner) / 2
        if upper:
            return mid - (asc - desc) / 2 + cap / 2
        return mid + (asc - desc) / 2 - cap / 2

    texts = [(top_text, True)] + ([(bottom_text, False)] if bottom_text else [])
    available = math.radians(
        360.0 - (2 * _SEPARATOR_GAP_DEG if bottom_text else _LONE_BOTTOM_GAP_DEG)
    )

    def needed_angle(font_px: float, tracking_em: float) -> float:
        font = _load_font(font_path, max(1, round(font_px)))
        return sum(
            (sum(_advances(font, t)) + tracking_em * font_px * (len(t) - 1))
            / arc_radius(font_px, upper)
            for t, upper in texts
        )

    # Long names shrink the lettering until both texts fit around the rim.
    for _ in range(8):
        need = needed_angle(size_px, _MIN_TRACKING_EM)
        if need <= available:
            break
        size_px *= available / need * 0.995
    font_px = max(1, round(size_px))
    font = _load_font(font_path, font_px)
    scale = font_px / 200
    ascent, descent = -ref_top * scale, ref_bottom * scale

    # Spread spare room evenly over the letter gaps of both texts (one spacing for the seal).
    gaps_angle = sum((len(t) - 1) / arc_radius(font_px, u) for t, u in texts)
    spare = available - needed_angle(font_px, _MIN_TRACKING_EM)
    extra = spare / gaps_angle if gaps_angle > 0 else 0.0
    tracking = min(_MIN_TRACKING_EM * font_px + extra, _MAX_TRACKING_EM * font_px)

    mid_band = (band_outer + band_inner) / 2
    top_span = 0.0
    for text, upper in texts:
        baseline = mid_band - (ascent - descent) / 2 if upper else mid_band + (ascent - descent) / 2
        _draw_rim_text(
            mask,
            font,
            text,
            centre,
            baseline,
            arc_radius(font_px, upper),
            tracking,
            upper,
            ascent,
            descent,
        )
        if upper:
            length = sum(_advances(font, text)) + tracking * (len(text) - 1)
            top_span = length / arc_radius(font_px, True)

    # Small stars between the texts (or one under a lone upper text), pointing outwards.
    star_r = (band_outer - band_inner) * 0.22
    if bottom_text:
        bottom_len = sum(_advances(font, bottom_text)) + tracking * (len(bottom_text) - 1)
        bottom_span = bottom_len / arc_radius(font_px, False)
        gap_mid = (top_span / 2 + (2 * math.pi - bottom_span) / 2) / 2
        star_angles = [gap_mid, -gap_mid]
    else:
        star_angles = [math.pi]
    for phi in star_angles:
        sx = centre + mid_band * math.sin(phi)
        sy = centre - mid_band * math.cos(phi)
        draw.polygon(_star_polygon(sx, sy, star_r, phi), fill=255)

    mask = mask.reduce(ss)
    mask = _stamp_texture(mask, _rng_for("seal", top_text, bottom_text, diameter_mm, dpi))
    return _tinted_png(mask, SEAL_INK_RGB, size * _MM_PER_INCH / diameter_mm)


def _stamp_texture(mask: Image.Image, rng: random.Random) -> Image.Image:
    """Make the ink uneven: broad patches of lighter pressure plus fine grain."""
    size = mask.size

    def noise(cells: int, low: int, resample: Image.Resampling) -> Image.Image:
        field = Image.frombytes("L", (cells, cells), rng.randbytes(cells * cells))
        field = field.resize(size, resample)
        return field.point(lambda v: low + v * (255 - low) // 255)

    patches = noise(10, 195, Image.Resampling.BICUBIC)
    grain = noise(max(8, size[0] // 3), 215, Image.Resampling.BILINEAR)
    return ImageChops.multiply(ImageChops.multiply(mask, patches), grain)
