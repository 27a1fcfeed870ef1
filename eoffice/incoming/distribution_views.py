"""Web pages of internal distribution: the "Văn bản để biết" list, the distribute form and
the "Đã đọc" button (thin handlers over ``incoming.distribution``).

The panel on the incoming document page (``distribution/_panel.html``, included by
``incoming/show.html``) gets its data from :func:`distribution_context`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eoffice.auth.models import User
from eoffice.core.errors import DomainError
from eoffice.core.permissions import can
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.i18n import error_message
from eoffice.incoming import distribution, service
from eoffice.incoming.distribution_forms import DistributeForm, ReadForm
from eoffice.incoming.models import IncomingDocument

bp = Blueprint("distribution", __name__, url_prefix="/incoming")


def _form_for(doc: IncomingDocument) -> DistributeForm:
    form = DistributeForm(prefix="distribute")
    form.units.choices = [SelectChoice(str(u.id), u.name)
                          for u in sorted(distribution.units_of(doc.org), key=lambda u: u.name)]
    people = db.session.execute(sa.select(User).where(
        User.org_id == doc.org_id, User.active.is_(True)).order_by(User.full_name)).scalars()
    form.users.choices = [SelectChoice(u.username, u.full_name + (" — " + u.title
                                                                   if u.title else ""))
                          for u in people if u.id != current_user.id]
    return form


@bp.app_context_processor
def distribution_helpers() -> dict[str, Any]:
    """``distribution_context(doc)`` for the panel; ``to_inform_unread()`` for the menu."""

    def distribution_context(doc: IncomingDocument) -> dict[str, Any]:
        rows = (distribution.distribution_of(current_user, doc)
                if can(current_user, "incoming.distribution", doc) else [])
        may_send = can(current_user, "incoming.distribute", doc) \
            and doc.incoming_number is not None and doc.status not in distribution.CLOSED
        return {"rows": rows, "read": sum(1 for r in rows if r.read_at is not None),
                "mine": distribution.my_row(current_user, doc),
                "form": _form_for(doc) if may_send else None, "read_form": ReadForm()}

    def to_inform_unread() -> int:
        if not getattr(current_user, "is_authenticated", False):
            return 0
        return distribution.unread_count(current_user)

    return {"distribution_context": distribution_context, "to_inform_unread": to_inform_unread}


@bp.get("/to-inform")
@login_required
def to_inform():  # type: ignore[no-untyped-def]
    """Văn bản để biết: what was distributed to the signed-in person."""
    unread = request.args.get("unread") == "1"
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = distribution.to_inform(current_user, unread_only=unread, page=page,
                                         per_page=30)
    return render_template("distribution/index.html", rows=rows, total=total, page=page,
                           per_page=30, unread=unread)


@bp.post("/<int:doc_id>/distribute")
@login_required
def distribute(doc_id: int) -> Response:
    """Phân phối văn bản đến để biết."""
    form = DistributeForm(prefix="distribute")
    form.units.validate_choice = form.users.validate_choice = False
    if not form.validate_on_submit():
        errors = [e for f in form for e in f.errors]
        flash(_("Dữ liệu không hợp lệ: %(errors)s", errors="; ".join(map(str, errors))),
              "danger")
        return redirect(url_for("incoming.show", doc_id=doc_id))
    try:
        with unit_of_work():
            doc = service.get_document(current_user, doc_id)
            rows = distribution.distribute(current_user, doc, units=form.units.data or [],
                                           users=form.users.data or [],
                                           note=form.note.data or "")
            count = len(rows)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(error_message(exc), "danger")
    else:
        flash(_("Đã phân phối văn bản cho %(n)s người để biết.", n=count), "success")
    return redirect(url_for("incoming.show", doc_id=doc_id))


@bp.post("/<int:doc_id>/read")
@login_required
def read(doc_id: int) -> Response:
    """Đã đọc."""
    form = ReadForm()
    if not form.validate_on_submit():
        flash(_("Phiên làm việc đã hết hạn, vui lòng thử lại."), "danger")
        return redirect(url_for("incoming.show", doc_id=doc_id))
    try:
        with unit_of_work():
            doc = service.get_document(current_user, doc_id)
            distribution.mark_read(current_user, doc)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(error_message(exc), "danger")
    else:
        flash(_("Đã đánh dấu đã đọc."), "success")
    target = request.form.get("next") or ""
    if target == "list":
        return redirect(url_for("distribution.to_inform"))
    return redirect(url_for("incoming.show", doc_id=doc_id))
