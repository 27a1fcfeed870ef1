"""Who may search (deny by default). What a search finds is narrowed further, document
by document, by the incoming and outgoing ``view`` rules (:mod:`eoffice.search.engine`)."""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule


@rule("search.run")
def can_search(actor: Any, _obj: Any = None) -> bool:
    """Every active person who belongs to a body searches that body's documents."""
    return getattr(actor, "org_id", None) is not None
