"""API: the figures of a body rolled up the tree (``GET /api/v1/stats``, DOMAIN.md §11).

The same numbers as the web figures page (``dashboard.stats.figures_for``). ``from`` /
``to`` are dates (``2026-01-31`` or ``31/01/2026``); a bad date or an end before the start
answers 400, an unknown body 404, a body outside the caller's subtree 403.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Date, Integer, List, Nested, String
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import token_required
from eoffice.dashboard import stats
from eoffice.dashboard.stats import FIGURE_NAMES, FIGURES


class StatsQuery(Schema):
    org = String(load_default=None, metadata={"description": "body code (default: your body)"})
    start = String(load_default=None, data_key="from",
                   metadata={"description": "first day, YYYY-MM-DD (default 1 January)"})
    end = String(load_default=None, data_key="to",
                 metadata={"description": "last day, YYYY-MM-DD (default today)"})


Figures = Schema.from_dict({key: Integer(metadata={"description": FIGURE_NAMES[key]})
                            for key in FIGURES}, name="Figures")


class StatsOrg(Schema):
    id = Integer()
    code = String(allow_none=True)
    name = String()
    tier = String()


class StatsPeriod(Schema):
    start = Date(data_key="from")
    end = Date(data_key="to")


class StatsChild(Schema):
    org = Nested(StatsOrg)
    total = Nested(Figures, metadata={"description": "the child's figures rolled up its subtree"})


class StatsOut(Schema):
    org = Nested(StatsOrg)
    period = Nested(StatsPeriod)
    own = Nested(Figures, metadata={"description": "the body's own documents"})
    total = Nested(Figures, metadata={"description": "own + every body below"})
    children = List(Nested(StatsChild))


@bp.get("/stats")
@token_required
@bp.input(StatsQuery, location="query", arg_name="query")
@bp.output(StatsOut)
@bp.doc(responses={400: "bad period", 403: "body outside your subtree",
                   404: "unknown body"})
def get_stats(query: dict[str, Any]) -> Any:
    """Figures of a body for a period: its own, rolled up, and each child body's total."""
    result = stats.stats(current_user, org=query["org"], start=query["start"],
                         end=query["end"])
    period = result["period"]
    return {**result, "period": {"start": period["from"], "end": period["to"]}}

