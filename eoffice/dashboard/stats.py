"""The figures a province reports (DOMAIN.md §11), per body and rolled up the tree.

Figures of a body for a period ``[start, end]`` (local dates in Vietnam, both included).
They describe the *cohort* of incoming documents the body received in the period
(``received_at`` falls in it), in the state they are in now:

``received``            all of them; ``received_electronic`` (from the hub) and
                        ``received_paper`` (keyed in from paper) split them by source
``resolved_early`` / ``resolved_on_time`` / ``resolved_late``
                        completed before / on / after the deadline (``timeliness``, set on
                        completion); a document completed without a deadline is on time
``in_progress_within`` / ``in_progress_overdue``
                        not finished (received, accepted, assigned, processing): no
                        deadline or deadline today or later / deadline already past
``withdrawn``           the issuer revoked it, took it back, or replaced it
``refused``             refused and returned to the issuer by the clerk
``issued``              outgoing documents the body issued in the period (``issued_on``)

so ``received = resolved + in_progress + withdrawn + refused`` always holds.

Rolled up: a body's *total* is its own figures plus those of every body below it (units
inside a body count as the body). The province's view shows, for each direct child body,
that child's rolled-up total, and drills down into any of them.

Computation: one recursive CTE walks the subtree once, labelling every node with the
*branch* it belongs to (the root itself, or the direct child body above it); one
``GROUP BY`` over the incoming documents (by branch, source, status, timeliness and
deadline passed) and one over the outgoing documents (by branch) give every figure. The
number of statements does not depend on the number of bodies or documents. The index
``ix_incoming_documents_org_received`` (body, arrival) carries the grouped columns
(``INCLUDE`` on PostgreSQL) so the period's rows are read from the index alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from eoffice.core.clock import day_bounds, today
from eoffice.core.errors import BadRequest, NotFound
from eoffice.core.permissions import require
from eoffice.dashboard import policy as _policy  # noqa: F401  (declares stats.view)
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument
from eoffice.orgs.models import Organization
from eoffice.outgoing.models import OutgoingDocument

FIGURES = ("received", "received_electronic", "received_paper",
           "resolved", "resolved_early", "resolved_on_time", "resolved_late",
           "in_progress", "in_progress_within", "in_progress_overdue",
           "withdrawn", "refused", "issued")
FIGURE_NAMES = {
    "received": "Văn bản đến",
    "received_electronic": "Nhận điện tử",
    "received_paper": "Nhận bản giấy",
    "resolved": "Đã giải quyết",
    "resolved_early": "Giải quyết trước hạn",
    "resolved_on_time": "Giải quyết đúng hạn",
    "resolved_late": "Giải quyết trễ hạn",
    "in_progress": "Đang giải quyết",
    "in_progress_within": "Đang giải quyết trong hạn",
    "in_progress_overdue": "Đang giải quyết quá hạn",
    "withdrawn": "Đã thu hồi, rút lại",
    "refused": "Đã từ chối, trả lại",
    "issued": "Văn bản đi đã ban hành",
}
LIVE = ("received", "accepted", "assigned", "processing")
WITHDRAWN = ("revoked", "withdrawn", "replaced")
MAX_PERIOD_DAYS = 366 * 50


@dataclass(frozen=True)
class Period:
    """A reporting period, local dates, both ends included."""

    start: date
    end: date

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants ``[start 00:00 VN, end + 1 day 00:00 VN)``."""
        return day_bounds(self.start, self.end)


def _parse_day(text: str, field: str) -> date:
    value = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            day = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        if day.year < 1945:
            break
        return day
    raise BadRequest("Ngày không hợp lệ (dùng dạng 2026-01-31 hoặc 31/01/2026).",
                     details={"field": field, "value": value[:40]})


def parse_period(start: str | None, end: str | None, *, now: date | None = None) -> Period:
    """The period from two optional texts (default: 1 January of this year to today).

    Bad dates and an end before the start are a 400 with a Vietnamese message."""
    current = now or today()
    first = _parse_day(start, "from") if (start or "").strip() else date(current.year, 1, 1)
    last = _parse_day(end, "to") if (end or "").strip() else current
    if last < first:
        raise BadRequest("Khoảng thời gian không hợp lệ: ngày kết thúc trước ngày bắt đầu.",
                         details={"field": "to", "from": first.isoformat(),
                                  "to": last.isoformat()})
    if (last - first).days > MAX_PERIOD_DAYS:
        raise BadRequest("Khoảng thời gian quá dài (tối đa 50 năm).", details={"field": "from"})
    return Period(first, last)


def resolve_org(actor: Any, code: str | None) -> Organization:
    """The body asked for (by code; default the actor's own body), checked: 404 for an
    unknown code, 403 for a body outside the actor's subtree."""
    code = (code or "").strip()
    if not code:
        org = actor.org.body
    else:
        org = db.session.execute(sa.select(Organization).where(Organization.code == code)
                                 ).scalars().first()
        if org is None:
            raise NotFound("Không tìm thấy cơ quan có mã này.",
                           details={"field": "org", "value": code[:40]})
    require(actor, "stats.view", org)
    return org


def empty() -> dict[str, int]:
    """All figures zero."""
    return dict.fromkeys(FIGURES, 0)


def _branches(root: Organization) -> Any:
    """CTE ``(id, branch)`` over ``root``'s subtree: ``branch`` is the direct child body a
    node sits under, or ``root`` itself (for the root and the units inside it)."""
    tree = sa.select(Organization.id.label("id"), Organization.id.label("branch")) \
        .where(Organization.id == root.id).cte("stats_tree", recursive=True)
    child = aliased(Organization)
    return tree.union_all(
        sa.select(child.id, sa.case((sa.and_(tree.c.id == root.id, child.tier_key != "unit"),
                                     child.id), else_=tree.c.branch))
        .where(child.parent_id == tree.c.id))


def _incoming_groups(tree: Any, period: Period, day: date) -> dict[int, dict[str, int]]:
    """Per branch, the figures of the incoming cohort.

    The database groups the period's documents by (branch, source, status, timeliness,
    past deadline) — at most a few hundred groups however many documents there are — and
    the figures are summed from those groups."""
    d = IncomingDocument
    begin, stop = period.bounds
    past = (d.deadline < day).label("past")
    stmt = (sa.select(tree.c.branch, d.source, d.status, d.timeliness, past,
                      sa.func.count().label("n"))
            .select_from(d).join(tree, d.org_id == tree.c.id)
            .where(d.received_at >= begin, d.received_at < stop)
            .group_by(tree.c.branch, d.source, d.status, d.timeliness, past))
    out: dict[int, dict[str, int]] = {}
    for branch, source, status, timeliness, overdue, n in db.session.execute(stmt):
        figures = out.setdefault(branch, empty())
        figures["received"] += n
        figures["received_paper" if source == "paper" else "received_electronic"] += n
        if status == "completed":
            figures[{"early": "resolved_early", "late": "resolved_late"}.get(
                timeliness or "", "resolved_on_time")] += n
        elif status in LIVE:
            figures["in_progress_overdue" if overdue else "in_progress_within"] += n
        elif status in WITHDRAWN:
            figures["withdrawn"] += n
        elif status == "refused":
            figures["refused"] += n
    return out


def _outgoing_rows(tree: Any, period: Period) -> list[Any]:
    o = OutgoingDocument
    stmt = (sa.select(tree.c.branch, sa.func.count().label("issued"))
            .select_from(o).join(tree, o.org_id == tree.c.id)
            .where(o.issued_on >= period.start, o.issued_on <= period.end)
            .group_by(tree.c.branch))
    return list(db.session.execute(stmt))


def _add(into: dict[str, int], other: dict[str, int]) -> None:
    for key in FIGURES:
        into[key] += other[key]


def _finish(figures: dict[str, int]) -> dict[str, int]:
    figures["resolved"] = (figures["resolved_early"] + figures["resolved_on_time"]
                           + figures["resolved_late"])
    figures["in_progress"] = figures["in_progress_within"] + figures["in_progress_overdue"]
    return figures


def org_out(org: Organization) -> dict[str, Any]:
    """The body as shown with its figures."""
    return {"id": org.id, "code": org.code, "name": org.name, "tier": org.tier_key}


def figures_for(org: Organization, period: Period, *, day: date | None = None
                ) -> dict[str, Any]:
    """``{org, period, own, total, children: [{org, total}]}`` (no permission check)."""
    day = day or today()
    children = list(db.session.execute(
        sa.select(Organization).where(Organization.parent_id == org.id,
                                      Organization.tier_key != "unit")
        .order_by(Organization.code, Organization.name)).scalars())
    tree = _branches(org)
    by_branch = _incoming_groups(tree, period, day)
    for row in _outgoing_rows(tree, period):
        by_branch.setdefault(row.branch, empty())["issued"] = int(row.issued or 0)
    own = _finish(by_branch.get(org.id, empty()))
    total = dict(own)
    out_children = []
    for child in children:
        figures = _finish(by_branch.get(child.id, empty()))
        _add(total, figures)
        out_children.append({"org": org_out(child), "total": figures})
    return {"org": org_out(org), "period": {"from": period.start, "to": period.end},
            "own": own, "total": total, "children": out_children}


def stats(actor: Any, *, org: str | None = None, start: str | None = None,
          end: str | None = None) -> dict[str, Any]:
    """The figures ``actor`` asked for: period checked (400), body found (404) and within
    the actor's subtree (403)."""
    period = parse_period(start, end)
    body = resolve_org(actor, org)
    return figures_for(body, period)


def breadcrumbs(actor: Any, org: Organization) -> list[Organization]:
    """From the actor's body down to ``org`` (for drill-down navigation)."""
    chain = [org]
    home = actor.org.body
    node = org
    while node.id != home.id and node.parent is not None:
        node = node.parent
        chain.append(node)
    return list(reversed(chain))
