"""Organisation codes (mã định danh), DOMAIN.md §4.1.

Format ``LLL.KK.JJ.Xnn`` read right to left: ``Xnn`` the level-1 body (a letter group
and two digits, e.g. ``H33`` UBND tỉnh Kiên Giang, ``G22`` Văn phòng Chính phủ), ``JJ``
level 2 (sở/ban/ngành and district UBND), ``KK`` level 3 (phòng, commune UBND),
``LLL`` level 4; zeros mean "the parent itself".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CODE_RE = re.compile(r"^(\d{3})\.(\d{2})\.(\d{2})\.([A-K]\d{2})$")


@dataclass(frozen=True)
class OrgCode:
    """A parsed organisation code."""

    level4: str
    level3: str
    level2: str
    level1: str

    @property
    def level(self) -> int:
        """1 for ``000.00.00.H33``, 2 for ``000.00.30.H33``, 3, 4."""
        if self.level4 != "000":
            return 4
        if self.level3 != "00":
            return 3
        if self.level2 != "00":
            return 2
        return 1

    @property
    def implied_parent(self) -> str | None:
        """The code of the body one level up, by the numbering pattern."""
        if self.level == 1:
            return None
        if self.level == 4:
            return f"000.{self.level3}.{self.level2}.{self.level1}"
        if self.level == 3:
            return f"000.00.{self.level2}.{self.level1}"
        return f"000.00.00.{self.level1}"

    def __str__(self) -> str:
        return f"{self.level4}.{self.level3}.{self.level2}.{self.level1}"


def parse_code(value: str) -> OrgCode:
    """Parse a code; raise ``ValueError`` with a Vietnamese message if malformed."""
    match = CODE_RE.match((value or "").strip())
    if not match:
        raise ValueError(
            f"Mã định danh “{value}” không đúng định dạng LLL.KK.JJ.Xnn (ví dụ 000.00.00.H33)."
        )
    return OrgCode(*match.groups())


def is_valid_code(value: str) -> bool:
    """Whether ``value`` is a well-formed organisation code."""
    return bool(CODE_RE.match((value or "").strip()))
