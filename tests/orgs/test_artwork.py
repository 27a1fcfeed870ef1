"""Generated signature and seal artwork: colour, transparency, true size and determinism."""

from __future__ import annotations

import colorsys
import io
import math
import statistics
import time
from collections.abc import Callable

import pytest
from PIL import Image

from eoffice.orgs import artwork
from eoffice.orgs.artwork import (
    FontNotFoundError,
    MissingGlyphError,
    make_seal_png,
    make_signature_png,
    seal_diameter_for_tier,
)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _open(data: bytes) -> Image.Image:
    assert data.startswith(PNG_MAGIC)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _corners_transparent(image: Image.Image) -> bool:
    w, h = image.size
    alpha = image.getchannel("A")
    return all(alpha.getpixel(p) == 0 for p in [(0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)])


def _ink_hues(image: Image.Image, min_alpha: int = 128) -> list[tuple[float, float]]:
    """(hue in degrees, saturation) of every clearly inked pixel."""
    r, g, b, a = (image.getchannel(c).tobytes() for c in "RGBA")
    result = []
    for i, alpha in enumerate(a):
        if alpha >= min_alpha:
            h, _, s = colorsys.rgb_to_hls(r[i] / 255, g[i] / 255, b[i] / 255)
            result.append((h * 360, s))
    return result


def _alpha_values(image: Image.Image) -> list[int]:
    return list(image.getchannel("A").tobytes())


def _median_seconds(fn: Callable[[], bytes], runs: int = 3) -> float:
    fn()  # warm caches (font loading) as the seeding loop does after its first image
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


# --------------------------------------------------------------------------------------------
# Signatures
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def signature() -> Image.Image:
    return _open(make_signature_png("Nguyễn Văn Đức"))


def test_signature_is_rgba_png_of_requested_size_with_transparent_background(signature):
    assert signature.format == "PNG"
    assert signature.mode == "RGBA"
    assert signature.size == (600, 240)
    assert _corners_transparent(signature)
    # Most of the canvas is paper, i.e. fully transparent.
    alpha = _alpha_values(signature)
    assert sum(1 for a in alpha if a == 0) / len(alpha) > 0.75


def test_signature_ink_is_blue(signature):
    hues = _ink_hues(signature)
    assert len(hues) > 1500
    blue = [h for h, s in hues if 210 <= h <= 240 and s > 0.8]
    assert len(blue) == len(hues)


def test_signature_is_a_thin_antialiased_stroke_not_a_blob(signature):
    alpha = _alpha_values(signature)
    inked = sum(1 for a in alpha if a > 0)
    assert 0.02 < inked / len(alpha) < 0.25
    # Anti-aliasing by downsampling leaves partially transparent edge pixels.
    assert sum(1 for a in alpha if 0 < a < 255) > 500


def test_signature_fills_its_box(signature):
    left, top, right, bottom = signature.getchannel("A").getbbox()
    w, h = signature.size
    assert (right - left) / w > 0.85 or (bottom - top) / h > 0.85
    assert left > 0 and top > 0 and right < w and bottom < h


def test_signature_is_deterministic_per_name_and_seed():
    assert make_signature_png("Trần Thị Hồng Nhung") == make_signature_png("Trần Thị Hồng Nhung")
    assert make_signature_png("Lê Minh", seed=7) == make_signature_png("Lê Minh", seed=7)
    assert make_signature_png("Lê Minh", seed=7) != make_signature_png("Lê Minh", seed=8)


def test_different_names_give_different_signatures():
    names = ["Nguyễn Văn Đức", "Nguyễn Văn Đưc", "Phạm Quốc Thắng", "Lê Minh", "Bùi Gia Khánh"]
    images = {make_signature_png(n) for n in names}
    assert len(images) == len(names)


@pytest.mark.parametrize(
    "name", ["Nguyễn Văn Đức", "Đặng Thu Hà", "Ngô Ỷ Lan", "Minh", "  Trương   Ngọc  Ánh "]
)
def test_signature_handles_vietnamese_names(name):
    image = _open(make_signature_png(name))
    assert image.mode == "RGBA" and _corners_transparent(image)
    assert image.getchannel("A").getbbox() is not None


def test_signature_honours_custom_size():
    image = _open(make_signature_png("Hoàng Anh Tuấn", width_px=300, height_px=150))
    assert image.size == (300, 150)
    assert _corners_transparent(image)


@pytest.mark.parametrize("name", ["", "   ", "123 - 456"])
def test_signature_needs_a_letter(name):
    with pytest.raises(ValueError, match="chữ cái"):
        make_signature_png(name)


def test_signature_is_fast():
    assert _median_seconds(lambda: make_signature_png("Võ Thành Công")) < 0.3


# --------------------------------------------------------------------------------------------
# Seals
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seal_bytes() -> bytes:
    return make_seal_png("Sở Tài chính", parent_name="UBND tỉnh Kiên Giang")


@pytest.fixture(scope="module")
def seal(seal_bytes) -> Image.Image:
    return _open(seal_bytes)


def _alpha_on_circle(image: Image.Image, fraction: float, degrees: float) -> int:
    """Alpha at a point on the circle of radius ``fraction`` x seal radius (0° = 12 o'clock)."""
    size = image.size[0]
    r = fraction * size / 2
    x = size / 2 + r * math.sin(math.radians(degrees))
    y = size / 2 - r * math.cos(math.radians(degrees))
    return image.getchannel("A").getpixel((int(x), int(y)))


def _ink_in_sector(
    image: Image.Image,
    start_deg: float,
    end_deg: float,
    inner: float = 0.64,
    outer: float = 0.85,
) -> int:
    """Inked pixels between two radii (fractions of the seal radius) and two angles.

    Angles are clockwise from 12 o'clock and may be negative; the default radii are the band
    that carries the rim text.
    """
    size = image.size[0]
    half = size / 2
    alpha = image.getchannel("A").tobytes()
    count = 0
    for y in range(size):
        for x in range(size):
            if alpha[y * size + x] <= 100:
                continue
            dx, dy = x + 0.5 - half, half - (y + 0.5)
            if not inner <= math.hypot(dx, dy) / half <= outer:
                continue
            angle = math.degrees(math.atan2(dx, dy))  # clockwise from 12 o'clock
            if start_deg <= angle <= end_deg or start_deg <= angle - 360 <= end_deg:
                count += 1
            elif start_deg <= angle + 360 <= end_deg:
                count += 1
    return count


def test_seal_is_rgba_png_with_transparent_corners(seal):
    assert seal.format == "PNG"
    assert seal.mode == "RGBA"
    assert _corners_transparent(seal)


def test_seal_has_true_size_at_requested_dpi(seal):
    expected_px = round(36.0 / 25.4 * 300)
    assert seal.size == (expected_px, expected_px)
    dpi_x, dpi_y = seal.info["dpi"]
    assert dpi_x == pytest.approx(300, rel=0.005) and dpi_y == pytest.approx(dpi_x)
    assert seal.size[0] / dpi_x * 25.4 == pytest.approx(36.0, abs=0.01)


@pytest.mark.parametrize(("diameter", "dpi"), [(40.0, 300), (35.0, 200), (34.0, 600)])
def test_seal_physical_size_equals_diameter(diameter, dpi):
    image = _open(make_seal_png("UBND TỈNH KIÊN GIANG", diameter_mm=diameter, dpi=dpi))
    assert image.size[0] == image.size[1] == round(diameter / 25.4 * dpi)
    assert image.size[0] / image.info["dpi"][0] * 25.4 == pytest.approx(diameter, abs=0.01)


def test_seal_ink_is_red(seal):
    hues = _ink_hues(seal)
    assert len(hues) > 5000
    red = [h for h, s in hues if (h <= 10 or h >= 350) and s > 0.7]
    assert len(red) == len(hues)


def test_seal_has_outer_ring_centre_star_and_uneven_ink(seal):
    ring = [_alpha_on_circle(seal, 0.955, d) for d in range(0, 360, 5)]
    assert all(a > 100 for a in ring)
    assert _alpha_on_circle(seal, 0.0, 0) > 100  # the centre star
    assert _alpha_on_circle(seal, 0.45, 180) == 0  # paper between star and inner circle
    solid = [a for a in _alpha_values(seal) if a > 120]
    assert statistics.pstdev(solid) > 8  # stamp texture, not flat ink


def test_seal_writes_lower_rim_only_when_parent_or_locality_given(seal):
    alone = _open(make_seal_png("Sở Tài chính"))
    assert _ink_in_sector(alone, -60, 60) > 1000
    assert _ink_in_sector(seal, -60, 60) > 1000
    # A lone name leaves the lower rim empty but for the small star at 6 o'clock.
    assert _ink_in_sector(alone, 130, 170) == 0
    assert _ink_in_sector(alone, 190, 230) == 0
    assert _ink_in_sector(seal, 130, 170) > 500
    assert _ink_in_sector(seal, 190, 230) > 500


def test_seal_is_deterministic(seal_bytes):
    assert make_seal_png("Sở Tài chính", parent_name="UBND tỉnh Kiên Giang") == seal_bytes


def test_different_bodies_give_different_seals(seal_bytes):
    others = {
        make_seal_png("Sở Tư pháp", parent_name="UBND tỉnh Kiên Giang"),
        make_seal_png("Sở Tài chính", parent_name="UBND tỉnh An Giang"),
        make_seal_png("Sở Tài chính", locality="Rạch Giá"),
    }
    assert len(others) == 3 and seal_bytes not in others


def test_seal_does_not_repeat_locality_already_in_parent_name():
    assert make_seal_png(
        "Sở Y tế", parent_name="UBND tỉnh Kiên Giang", locality="Kiên Giang"
    ) == make_seal_png("Sở Y tế", parent_name="UBND tỉnh Kiên Giang")


def test_seal_renders_vietnamese_diacritics():
    kien_giang = make_seal_png("UBND TỈNH KIÊN GIANG", locality="Kiên Giang")
    assert kien_giang != make_seal_png("UBND TINH KIEN GIANG", locality="Kien Giang")

    with_marks = _open(make_seal_png("ỦY BAN NHÂN DÂN XÃ VĨNH HÒA"))
    without = _open(make_seal_png("UY BAN NHAN DAN XA VINH HOA"))
    # Same letters, same layout: the capitals' ink is unchanged and the marks add ink in the
    # outer part of the band, above the capitals (no letter replaced by an empty box).
    assert _ink_in_sector(with_marks, -150, 150, 0.64, 0.78) == pytest.approx(
        _ink_in_sector(without, -150, 150, 0.64, 0.78), rel=0.03
    )
    marks = _ink_in_sector(with_marks, -150, 150, 0.79, 0.86)
    assert marks > 1.5 * _ink_in_sector(without, -150, 150, 0.79, 0.86)


def test_seal_does_not_repeat_locality_already_in_body_name():
    province = "Ủy ban nhân dân tỉnh Kiên Giang"
    assert make_seal_png(province, locality="Kiên Giang") == make_seal_png(province)
    assert make_seal_png(province, locality="Rạch Giá") != make_seal_png(province)


def test_seal_name_is_capitalised():
    lower = make_seal_png("ủy ban nhân dân xã vĩnh hòa", parent_name="tỉnh kiên giang")
    upper = make_seal_png("ỦY BAN NHÂN DÂN XÃ VĨNH HÒA", parent_name="TỈNH KIÊN GIANG")
    assert lower == upper


def test_seal_fits_long_names():
    image = _open(
        make_seal_png(
            "Ủy ban nhân dân xã Vĩnh Hòa Hưng Bắc",
            parent_name="Huyện Gò Quao",
            locality="Tỉnh Kiên Giang",
            diameter_mm=35.0,
        )
    )
    assert _corners_transparent(image)
    assert all(_alpha_on_circle(image, 0.955, d) > 100 for d in range(0, 360, 10))


def test_seal_rejects_characters_the_font_cannot_draw():
    with pytest.raises(MissingGlyphError, match="U\\+4E2D"):
        make_seal_png("Sở 中")


def test_seal_fails_clearly_without_its_font(monkeypatch, tmp_path):
    monkeypatch.setattr(artwork, "FONT_DIRS", (tmp_path,))
    with pytest.raises(FontNotFoundError, match="DejaVuSans-Bold.ttf"):
        make_seal_png("Sở Tài chính")


@pytest.mark.parametrize(
    "kwargs", [{"diameter_mm": 5.0}, {"diameter_mm": 120.0}, {"dpi": 10}, {"dpi": 5000}]
)
def test_seal_rejects_absurd_sizes(kwargs):
    with pytest.raises(ValueError):
        make_seal_png("Sở Tài chính", **kwargs)


def test_seal_rejects_empty_name():
    with pytest.raises(ValueError, match="Tên cơ quan"):
        make_seal_png("   ")


def test_seal_is_fast():
    assert _median_seconds(lambda: make_seal_png("UBND TỈNH KIÊN GIANG", diameter_mm=40.0)) < 0.3


@pytest.mark.parametrize(
    ("tier", "diameter"),
    [
        ("province", 40.0),
        ("department", 36.0),
        ("district", 36.0),
        ("commune", 35.0),
        ("unit", 34.0),
        ("Province", 40.0),
    ],
)
def test_seal_diameter_for_tier(tier, diameter):
    assert seal_diameter_for_tier(tier) == diameter


def test_seal_diameter_for_unknown_tier():
    with pytest.raises(ValueError, match="ministry"):
        seal_diameter_for_tier("ministry")
