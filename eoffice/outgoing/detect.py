"""Find where the number, date and signature go in an uploaded draft (pdfplumber).

The number field goes right after the word "Số:" on the first page; the date field over
the place/date line ("Kiên Giang, ngày … tháng … năm …") on the same page; the leader's
signature box between the position line and the signer's name on the last page — found
as the largest empty vertical gap in the right half under the last text block of the
authority lines (e.g. "TM. ỦY BAN NHÂN DÂN" / "CHỦ TỊCH"). When a part is not found, the
result says so and the drafter places the boxes on the page preview (web) or sends an
explicit ``layout`` (API).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

from signing import Box, DraftLayout

DATE_LINE = re.compile(r"ngày\s*[.…\d\s]*\s*tháng\s*[.…\d\s]*\s*năm", re.IGNORECASE)
AUTHORITY = re.compile(r"^(TM\.|KT\.|TL\.|TUQ\.|Q\.|CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|TRƯỞNG)",
                       re.IGNORECASE)
MM = 72 / 25.4


@dataclass(frozen=True)
class Detection:
    """What was found: the layout (if complete) and which parts were missing."""

    layout: DraftLayout | None
    missing: tuple[str, ...]
    page_count: int
    page_size: tuple[float, float]


def _lines(page: Any) -> list[dict[str, Any]]:
    words = page.extract_words(keep_blank_chars=False, use_text_flow=True)
    lines: list[dict[str, Any]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        for line in lines:
            if abs(line["top"] - word["top"]) < 3 and word["x0"] - line["x1"] < 40:
                line["words"].append(word)
                line["x1"] = max(line["x1"], word["x1"])
                line["bottom"] = max(line["bottom"], word["bottom"])
                break
        else:
            lines.append({"top": word["top"], "bottom": word["bottom"], "x0": word["x0"],
                          "x1": word["x1"], "words": [word]})
    for line in lines:
        line["text"] = " ".join(w["text"] for w in line["words"])
    return lines


def detect_layout(pdf: bytes, *, seal_size: float) -> Detection:
    """Locate the number, date and leader boxes in ``pdf`` (PDF points, bottom-left)."""
    import pdfplumber

    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        pages = doc.pages
        first = pages[0]
        width, height = float(first.width), float(first.height)
        missing: list[str] = []
        number_box = date_box = leader_box = None
        first_lines = _lines(first)
        for line in first_lines:
            for word in line["words"]:
                text = word["text"]
                if text.startswith("Số:"):
                    # the box starts right after "Số:" (proportional within the word)
                    x0 = word["x0"] + (word["x1"] - word["x0"]) * 3 / len(text) + 3
                    number_box = Box(round(x0, 2), round(height - word["bottom"] - 2, 2),
                                     round(min(x0 + 60 * MM, width / 2 + 20), 2),
                                     round(height - word["top"] + 2, 2))
                    break
            if number_box is not None:
                break
        for line in first_lines:
            if DATE_LINE.search(line["text"]):
                date_box = Box(round(line["x0"], 2), round(height - line["bottom"] - 2, 2),
                               round(max(line["x1"], line["x0"] + 90 * MM), 2),
                               round(height - line["top"] + 2, 2))
                break
        if number_box is None:
            missing.append("number")
        if date_box is None:
            missing.append("date")
        last_index = len(pages) - 1
        last = pages[last_index]
        lines = [ln for ln in _lines(last) if ln["x0"] > float(last.width) * 0.4]
        authority = [ln for ln in lines if AUTHORITY.match(ln["text"])]
        if authority:
            top_line = authority[0]
            block = [ln for ln in lines if ln["top"] >= top_line["top"]]
            block.sort(key=lambda ln: ln["top"])
            gap_top, gap_bottom = None, None
            for above, below in zip(block, block[1:], strict=False):
                if below["top"] - above["bottom"] > 40 and (
                        gap_top is None or below["top"] - above["bottom"] > gap_bottom - gap_top):
                    gap_top, gap_bottom = above["bottom"], below["top"]
            if gap_top is not None and gap_bottom is not None:
                cx = (top_line["x0"] + top_line["x1"]) / 2
                leader_box = Box(round(cx - 30 * MM, 2), round(height - gap_bottom + 4, 2),
                                 round(cx + 30 * MM, 2), round(height - gap_top - 4, 2))
        if leader_box is None:
            missing.append("leader")
        layout = None
        if not missing:
            layout = DraftLayout(page=last_index, number_box=number_box, date_box=date_box,
                                 leader_box=leader_box, seal_size=seal_size, number_page=0)
        return Detection(layout=layout, missing=tuple(missing), page_count=len(pages),
                         page_size=(width, height))
