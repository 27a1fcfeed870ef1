"""Build the small serif fonts that signature appearances and filled fields embed.

pyHanko writes glyph widths as if every font had 1000 units per em, so a 2048-unit
TrueType font (Liberation Serif) comes out stretched about twofold; the font is
therefore rescaled to 1000 units per em here. It is also subset to Basic Latin,
Latin-1, the Vietnamese letters and a few punctuation marks, which keeps the file
small and makes every signature cheaper (pyHanko parses the font at each signature).

Source: Liberation Serif 2.x (SIL Open Font License 1.1, Debian package
``fonts-liberation2``). Liberation 1.07 (package ``fonts-liberation``) has no
Vietnamese glyphs, so it is not usable. "Liberation" is a Reserved Font Name under the
OFL, so the modified font is renamed.

Two styles are built: Regular (appearances, the number/notation) and Italic (the
place/date line, which Decree 30/2020 sets in italics), from
``LiberationSerif-Regular.ttf`` and ``LiberationSerif-Italic.ttf`` of the same package.

Run by hand: ``python -m signing.fonts.build_font`` (both styles), or
``python -m signing.fonts.build_font SOURCE.ttf [Regular|Italic]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem

SOURCE_DIR = Path("/usr/share/fonts/truetype/liberation2")
SOURCE = SOURCE_DIR / "LiberationSerif-Regular.ttf"
TARGET = Path(__file__).with_name("EofficeSerif-Regular.ttf")
ITALIC_SOURCE = SOURCE_DIR / "LiberationSerif-Italic.ttf"
ITALIC_TARGET = Path(__file__).with_name("EofficeSerif-Italic.ttf")
FAMILY = "Eoffice Serif"

#: Unicode ranges kept: Latin, Latin-1, Latin Extended-A (Đ, Ă, Ĩ, Ũ), Ơ/Ư,
#: combining accents, Latin Extended Additional (Vietnamese), general punctuation, ₫.
UNICODE_RANGES: tuple[tuple[int, int], ...] = (
    (0x0020, 0x007E),
    (0x00A0, 0x00FF),
    (0x0100, 0x017F),
    (0x01A0, 0x01B0),
    (0x0300, 0x0323),
    (0x1EA0, 0x1EF9),
    (0x2010, 0x2026),
    (0x20AB, 0x20AB),
)


def build(source: Path = SOURCE, target: Path = TARGET, style: str = "Regular") -> Path:
    """Rescale ``source`` to 1000 units/em, subset it to Vietnamese and write ``target``
    named *Eoffice Serif* ``style``."""
    font = TTFont(str(source))
    scale_upem(font, 1000)
    options = subset.Options()
    options.layout_features = ["kern", "liga", "ccmp", "mark", "mkmk"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
    options.hinting = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    unicodes = [cp for lo, hi in UNICODE_RANGES for cp in range(lo, hi + 1)]
    subsetter.populate(unicodes=unicodes)
    subsetter.subset(font)
    names = font["name"]
    for record in list(names.names):
        if record.nameID in (1, 16):
            record.string = FAMILY
        elif record.nameID == 4:
            record.string = f"{FAMILY} {style}"
        elif record.nameID in (3, 6):
            record.string = f"EofficeSerif-{style}"
    font.save(str(target))
    return target


if __name__ == "__main__":
    if len(sys.argv) > 1:
        style = sys.argv[2] if len(sys.argv) > 2 else "Regular"
        target = ITALIC_TARGET if style == "Italic" else TARGET
        outputs = [build(Path(sys.argv[1]), target, style)]
    else:
        outputs = [build(), build(ITALIC_SOURCE, ITALIC_TARGET, "Italic")]
    for out in outputs:
        print(f"{out} ({out.stat().st_size} bytes)")
