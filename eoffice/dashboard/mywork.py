""""My work": what waits for the signed-in person, counted per queue, urgent first.

Queues (each only for the people it concerns; all within the person's own body):

``to_sign``      approved drafts they are the chosen signer of (leader)
``to_review``    drafts in review at their step (unit head, or the signer)
``returned``     their own drafts returned to them with a comment
``to_issue``     signed documents waiting to be numbered and issued (clerk)
``to_register``  incoming documents waiting for the register (clerk)
``to_direct``    registered incoming documents waiting for direction (leader)
``assigned``     incoming documents assigned to them (or to the unit they head), open
``due_soon``     of those, the deadline falls within ``DASHBOARD_DUE_SOON_DAYS`` (default 3)
``overdue``      of those, the deadline has passed

All counts come from one statement of scalar sub-queries; the two short lists (incoming
and outgoing documents waiting for the person, most urgent and nearest deadline first) are
one statement each.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased

from eoffice.extensions import db
from eoffice.incoming.models import IncomingAssignment, IncomingDocument
from eoffice.outgoing.models import OutgoingDocument

QUEUES = ("to_sign", "to_review", "returned", "to_issue", "to_register", "to_direct",
          "assigned", "due_soon", "overdue")
QUEUE_NAMES = {
    "to_sign": "Chờ tôi ký",
    "to_review": "Dự thảo chờ tôi duyệt",
    "returned": "Dự thảo bị trả lại",
    "to_issue": "Chờ ban hành",
    "to_register": "Văn bản đến chờ vào sổ",
    "to_direct": "Văn bản đến chờ cho ý kiến",
    "assigned": "Được giao xử lý",
    "due_soon": "Sắp đến hạn",
    "overdue": "Quá hạn",
}
URGENCY_RANK = {"hoa_toc": 3, "thuong_khan": 2, "khan": 1, "": 0}
OPEN_INCOMING = ("assigned", "processing")


def _count(stmt: sa.Select[Any]) -> Any:
    return sa.select(sa.func.count()).select_from(stmt.subquery()).scalar_subquery()


def _mine(actor: Any) -> Any:
    """Active, unfinished assignments that make ``actor`` a handler."""
    a = IncomingAssignment
    mine = sa.and_(a.user_id == actor.id)
    if actor.has_role("head") and actor.unit_id is not None:
        mine = sa.or_(mine, sa.and_(a.user_id.is_(None), a.unit_id == actor.unit_id))
    return sa.and_(a.active.is_(True), a.done_at.is_(None), mine)


def _assigned(actor: Any) -> sa.Select[Any]:
    """``(document_id, deadline)`` of the actor's open assignments, one row per document."""
    a, d = IncomingAssignment, IncomingDocument
    return (sa.select(a.document_id, sa.func.min(sa.func.coalesce(a.deadline, d.deadline))
                      .label("deadline"))
            .join(d, d.id == a.document_id)
            .where(_mine(actor), d.org_id == actor.org_id, d.status.in_(OPEN_INCOMING))
            .group_by(a.document_id))


def _review_condition(actor: Any) -> Any:
    o = OutgoingDocument
    at_leader = sa.and_(o.review_stage == "leader", o.signer_id == actor.id)
    if actor.has_role("head") and actor.unit_id is not None:
        return sa.or_(at_leader, sa.and_(o.review_stage == "head", o.unit_id == actor.unit_id))
    return at_leader


def _outgoing_conditions(actor: Any) -> dict[str, Any]:
    o = OutgoingDocument
    conditions = {
        "to_sign": sa.and_(o.status == "approved", o.signer_id == actor.id),
        "to_review": sa.and_(o.status == "in_review", _review_condition(actor)),
        "returned": sa.and_(o.status == "returned", o.created_by_id == actor.id),
    }
    if actor.has_role("clerk"):
        conditions["to_issue"] = o.status == "signed"
    return conditions


def _incoming_conditions(actor: Any, d: Any = IncomingDocument) -> dict[str, Any]:
    conditions: dict[str, Any] = {}
    if actor.has_role("clerk"):
        conditions["to_register"] = d.status == "received"
    if actor.has_role("leader"):
        conditions["to_direct"] = d.status == "accepted"
    return conditions


def counts(actor: Any, *, day: date) -> dict[str, int]:
    """Every queue's size (0 for queues the person does not have), in one statement."""
    soon = int(current_app.config.get("DASHBOARD_DUE_SOON_DAYS", 3))
    o, d = OutgoingDocument, IncomingDocument
    columns: dict[str, Any] = {}
    for key, condition in _outgoing_conditions(actor).items():
        columns[key] = _count(sa.select(o.id).where(o.org_id == actor.org_id, condition))
    for key, condition in _incoming_conditions(actor).items():
        columns[key] = _count(sa.select(d.id).where(d.org_id == actor.org_id, condition))
    assigned = _assigned(actor).subquery()
    columns["assigned"] = sa.select(sa.func.count()).select_from(assigned).scalar_subquery()
    columns["due_soon"] = sa.select(sa.func.count()).select_from(assigned).where(
        assigned.c.deadline >= day, assigned.c.deadline <= day + timedelta(days=soon)
    ).scalar_subquery()
    columns["overdue"] = sa.select(sa.func.count()).select_from(assigned).where(
        assigned.c.deadline < day).scalar_subquery()
    row = db.session.execute(sa.select(*[c.label(k) for k, c in columns.items()])).one()
    out = dict.fromkeys(QUEUES, 0)
    out.update({key: int(getattr(row, key) or 0) for key in columns})
    return out


def incoming_items(actor: Any, *, day: date, limit: int = 10) -> list[dict[str, Any]]:
    """Incoming documents waiting for the person: most urgent, nearest deadline first."""
    d, other = IncomingDocument, aliased(IncomingDocument)
    assigned = _assigned(actor).subquery()
    # the candidates as a union of small index lookups (the person's assignments, the
    # body's documents in the clerk's or leader's waiting state), not a scan of the body
    parts: list[Any] = [sa.select(assigned.c.document_id)]
    parts += [sa.select(other.id).where(other.org_id == actor.org_id, condition)
              for condition in _incoming_conditions(actor, other).values()]
    candidates = sa.union_all(*parts) if len(parts) > 1 else parts[0]
    reasons = {"to_register": "received", "to_direct": "accepted"}
    rows = db.session.execute(
        sa.select(d, assigned.c.deadline)
        .outerjoin(assigned, assigned.c.document_id == d.id)
        .where(d.org_id == actor.org_id, d.id.in_(candidates))
        .order_by(d.priority.desc(),
                  sa.func.coalesce(assigned.c.deadline, d.deadline).is_(None),
                  sa.func.coalesce(assigned.c.deadline, d.deadline), d.received_at, d.id)
        .limit(limit)).all()
    out = []
    for doc, deadline in rows:
        due = deadline or doc.deadline
        queue = next((k for k, s in reasons.items() if doc.status == s), "assigned")
        out.append({"doc": doc, "queue": queue, "deadline": due,
                    "overdue": due is not None and due < day and doc.status in OPEN_INCOMING})
    return out


def outgoing_items(actor: Any, *, limit: int = 10) -> list[dict[str, Any]]:
    """Outgoing documents waiting for the person: most urgent first, then oldest."""
    o = OutgoingDocument
    conditions = _outgoing_conditions(actor)
    rank = sa.case(*[(o.urgency == k, v) for k, v in URGENCY_RANK.items()], else_=0)
    docs = db.session.execute(
        sa.select(o).where(o.org_id == actor.org_id, sa.or_(*conditions.values()))
        .order_by(rank.desc(), o.due_date.is_(None), o.due_date, o.updated_at, o.id)
        .limit(limit)).scalars().all()
    queue_of = {"approved": "to_sign", "in_review": "to_review", "returned": "returned",
                "signed": "to_issue"}
    return [{"doc": doc, "queue": queue_of.get(doc.status, "to_review")} for doc in docs]
