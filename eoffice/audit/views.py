"""The audit log page (admins)."""

from __future__ import annotations

from datetime import datetime, time

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from eoffice.audit.forms import AuditFilterForm
from eoffice.audit.models import AuditEvent
from eoffice.core.clock import VN
from eoffice.core.permissions import require
from eoffice.extensions import db
from eoffice.orgs import queries as org_queries

bp = Blueprint("audit", __name__)


@bp.get("/admin/audit", endpoint="index")
@login_required
def index():  # type: ignore[no-untyped-def]
    """Browse and filter the audit log (newest first)."""
    require(current_user, "audit.view")
    form = AuditFilterForm(request.args)
    form.validate()
    ids = org_queries.subtree_ids(current_user.org)
    stmt = sa.select(AuditEvent).where(
        sa.or_(AuditEvent.org_id.in_(ids), AuditEvent.org_id.is_(None))
    )
    if form.action.data:
        stmt = stmt.where(AuditEvent.action.like(f"{form.action.data.strip()}%"))
    if form.actor.data:
        stmt = stmt.where(AuditEvent.actor_name == form.actor.data.strip().lower())
    if form.date_from.data:
        stmt = stmt.where(AuditEvent.at >= datetime.combine(form.date_from.data, time.min, VN))
    if form.date_to.data:
        stmt = stmt.where(AuditEvent.at <= datetime.combine(form.date_to.data, time.max, VN))
    try:
        page = max(int(request.args.get("page", 1)), 1)
    except ValueError:
        abort(400)
    per_page = 50
    events = db.session.execute(
        stmt.order_by(AuditEvent.seq.desc()).limit(per_page + 1).offset((page - 1) * per_page)
    ).scalars().all()
    filters = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", form=form, events=events[:per_page], page=page,
                           has_next=len(events) > per_page, tz=VN, filters=filters)
