"""JSON REST API v1 (DESIGN.md §6), declared with schemas so OpenAPI is generated."""

from __future__ import annotations

from apiflask import APIBlueprint

bp = APIBlueprint("api", __name__, url_prefix="/api/v1", tag="eoffice")

from eoffice.api import (  # noqa: E402,F401  (routes register on bp)
    accounts,
    distribution,
    incoming,
    notifications,
    outgoing,
    reports,
    search,
    stats,
    tiers,
    verify,
)
