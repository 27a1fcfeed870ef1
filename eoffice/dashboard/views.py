"""Web pages: the start page ("my work" and, for leaders, the body's figures) and the
figures page with drill-down through the tree and charts (Chart.js, served locally).

Bad input on the figures page (bad dates, end before start, unknown body, a body outside
the person's subtree) shows the Vietnamese message with the matching status code
(400/404/403) and the form to correct it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eoffice.core.errors import DomainError
from eoffice.core.permissions import can
from eoffice.dashboard import mywork, stats
from eoffice.dashboard.mywork import QUEUE_NAMES
from eoffice.dashboard.stats import FIGURE_NAMES
from eoffice.i18n import error_message

bp = Blueprint("dashboard", __name__)

# Where each "my work" queue is listed (shown only when that page exists).
QUEUE_LINKS = {
    "to_sign": ("outgoing.sign_queue", {}),
    "to_review": ("outgoing.drafts", {}),
    "returned": ("outgoing.drafts", {}),
    "to_issue": ("outgoing.issue_queue", {}),
    "to_register": ("incoming.index", {"status": "received"}),
    "to_direct": ("incoming.index", {"status": "accepted"}),
    "assigned": ("incoming.index", {"status": "assigned,processing"}),
    "due_soon": ("incoming.index", {"status": "assigned,processing"}),
    "overdue": ("incoming.index", {"status": "assigned,processing"}),
}
# Which queues a person sees on the start page, by role (the rest would always be 0).
QUEUES_BY_ROLE = {
    "leader": ("to_sign", "to_review", "to_direct"),
    "head": ("to_review",),
    "clerk": ("to_register", "to_issue"),
    "specialist": ("returned",),
}
CHART_FIGURES = ("resolved_early", "resolved_on_time", "resolved_late",
                 "in_progress_within", "in_progress_overdue", "withdrawn", "refused")


@bp.app_context_processor
def dashboard_helpers() -> dict[str, Any]:
    """Names shown by the dashboard templates."""
    return {"figure_names": FIGURE_NAMES, "queue_names": QUEUE_NAMES}


def queue_link(key: str) -> str | None:
    """The list page of a queue, if that capability is installed."""
    endpoint, args = QUEUE_LINKS[key]
    if endpoint not in current_app.view_functions:
        return None
    return url_for(endpoint, **args)


def visible_queues(actor: Any, counts: dict[str, int]) -> list[str]:
    """The queues shown to ``actor``: those of their roles, plus any that is not empty."""
    keys: list[str] = []
    for role, queues in QUEUES_BY_ROLE.items():
        if actor.has_role(role):
            keys += [q for q in queues if q not in keys]
    keys += ["assigned", "due_soon", "overdue"]
    return [k for k in mywork.QUEUES if k in keys or counts.get(k)]


def chart_data(result: dict[str, Any]) -> dict[str, Any]:
    """The figures in the shape the page's script draws (labels, one series per figure)."""
    rows = [(_("%(name)s (riêng)", name=result["org"]["name"]), result["own"])] \
        if result["children"] else [(result["org"]["name"], result["own"])]
    rows += [(child["org"]["name"], child["total"]) for child in result["children"]]
    return {"labels": [name for name, _figures in rows],
            "series": [{"key": key, "label": _(FIGURE_NAMES[key]),
                        "data": [figures[key] for _name, figures in rows]}
                       for key in CHART_FIGURES],
            "total": [{"key": key, "label": _(FIGURE_NAMES[key]), "value": result["total"][key]}
                      for key in CHART_FIGURES]}


def home():  # type: ignore[no-untyped-def]
    """The start page: my work; for leaders, clerks and admins the body's figures."""
    day = stats.today()
    counts = mywork.counts(current_user, day=day)
    result = None
    body = current_user.org.body
    if can(current_user, "stats.view", body):
        result = stats.figures_for(body, stats.parse_period(None, None, now=day), day=day)
    return render_template(
        "index.html", user=current_user, counts=counts,
        queues=visible_queues(current_user, counts), queue_link=queue_link,
        incoming=mywork.incoming_items(current_user, day=day),
        outgoing=mywork.outgoing_items(current_user), result=result,
        chart=chart_data(result) if result else None, today=day)


@bp.get("/stats")
@login_required
def figures():  # type: ignore[no-untyped-def]
    """The figures of a body for a period, its child bodies rolled up, with drill-down."""
    org = request.args.get("org", "")
    start, end = request.args.get("from", ""), request.args.get("to", "")
    try:
        period = stats.parse_period(start, end)
        body = stats.resolve_org(current_user, org)
    except DomainError as exc:
        return render_template("dashboard/stats.html", result=None, chart=None,
                               error=error_message(exc), org=org, start=start, end=end,
                               crumbs=[]), exc.status
    result = stats.figures_for(body, period)
    return render_template("dashboard/stats.html", result=result, chart=chart_data(result),
                           error=None, org=result["org"]["code"] or "",
                           start=result["period"]["from"].isoformat(),
                           end=result["period"]["to"].isoformat(),
                           crumbs=stats.breadcrumbs(current_user, body))
