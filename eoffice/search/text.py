"""Vietnamese text folding and the tokens the search index and the queries share.

Both the stored text and the user's query go through :func:`tokens`: lower-case, accents
removed, ``đ``/``Đ`` folded to ``d`` (Unicode decomposition leaves ``đ`` alone), and every
run of punctuation turned into a space. The database then only ever sees plain words of
letters and digits, so SQLite FTS5's ``unicode61`` tokenizer and PostgreSQL's ``simple``
parser split them the same way, and no user input can reach the FTS or tsquery syntax.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")

MAX_QUERY_CHARS = 200
MAX_QUERY_TOKENS = 16


def fold(text: str) -> str:
    """Lower-case, accents removed, ``đ`` → ``d``: ``Chỉ thị`` → ``chi thi``."""
    text = (text or "").replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.lower().split())


def tokens(text: str) -> list[str]:
    """The words of ``text`` as the index stores them: ``05/CT-UBND`` → ``05 ct ubnd``."""
    return _NON_WORD.sub(" ", fold(text)).split()


def index_text(*parts: str | None) -> str:
    """Space-joined tokens of every non-empty part (what a search column holds)."""
    return " ".join(t for part in parts if part for t in tokens(part))
