"""The notification centre: the unread badge in the navigation, the list (newest first,
paged), mark one (opening it follows its link to the document) or all as read.

Every change is a POST with the CSRF token; one person only ever reaches their own
notifications (another's id is a 404).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy.exc import SQLAlchemyError

from eoffice.core.uow import unit_of_work
from eoffice.notifications import service

log = logging.getLogger(__name__)
bp = Blueprint("notifications", __name__, url_prefix="/notifications")
PER_PAGE = 20


class MarkForm(FlaskForm):
    """A button-only action (the CSRF token; CSRFProtect checks every POST)."""


@bp.app_context_processor
def notification_helpers() -> dict[str, Any]:
    """``unread_notifications()``: the badge count for the signed-in person."""

    def unread() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return service.unread_count(current_user)
        except SQLAlchemyError:  # an error page while the database is failing: no badge
            log.warning("unread notification count unavailable", exc_info=True)
            return 0

    return {"unread_notifications": unread}


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The person's notifications, newest first."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    unread_only = request.args.get("unread") == "1"
    rows, total = service.page_for(current_user, page=page, per_page=PER_PAGE,
                                   unread_only=unread_only)
    return render_template("notifications/index.html", rows=rows, total=total, page=page,
                           per_page=PER_PAGE, unread_only=unread_only, form=MarkForm())


@bp.post("/<int:note_id>/read")
@login_required
def read(note_id: int):  # type: ignore[no-untyped-def]
    """Mark one as read; ``open=1`` then follows its link (the document)."""
    with unit_of_work():
        note = service.mark_read(current_user, note_id)
        link = service.safe_link(note.link)
    if request.form.get("open") and link:
        return redirect(link)
    page = max(request.form.get("page", 1, type=int) or 1, 1)
    return redirect(url_for("notifications.index", page=page))


@bp.post("/read-all")
@login_required
def read_all():  # type: ignore[no-untyped-def]
    """Mark every unread notification as read."""
    with unit_of_work():
        count = service.mark_all_read(current_user)
    flash(_("Đã đánh dấu %(n)s thông báo là đã đọc.", n=count), "success")
    return redirect(url_for("notifications.index"))
