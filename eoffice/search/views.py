"""Web pages: ``/search`` (form, results, saved searches)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup, escape

from eoffice.core.errors import DomainError
from eoffice.core.permissions import require
from eoffice.core.uow import unit_of_work
from eoffice.documents.models import DocumentType
from eoffice.extensions import db
from eoffice.i18n import error_message
from eoffice.incoming.models import PRIORITY_NAMES
from eoffice.incoming.models import STATUS_NAMES as INCOMING_STATUS_NAMES
from eoffice.outgoing.workflow import STATUS_LABELS as OUTGOING_STATUS_NAMES
from eoffice.search import service
from eoffice.search.models import SearchEntry
from eoffice.search.text import tokens

bp = Blueprint("search", __name__, url_prefix="/search")

KIND_NAMES = {"incoming": _l("Văn bản đến"), "outgoing": _l("Văn bản đi")}
ORDER_NAMES = {"relevance": _l("Liên quan nhất"), "date": _l("Mới nhất")}
PARAM_NAMES = ("q", "kind", "type", "from", "to", "status", "org", "urgency", "order")


def entry_url(entry: SearchEntry) -> str:
    """The document page of a result."""
    if entry.kind == "incoming":
        return url_for("incoming.show", doc_id=entry.doc_id)
    return url_for("outgoing.detail", doc_id=entry.doc_id)


def status_name(entry: SearchEntry) -> str:
    """The Vietnamese name of the entry's state."""
    names = INCOMING_STATUS_NAMES if entry.kind == "incoming" else OUTGOING_STATUS_NAMES
    return names.get(entry.status, entry.status)


def highlight(text: str, words: tuple[str, ...]) -> Markup:
    """``text`` with the words matching the query (accents ignored) in ``<mark>``."""
    if not words or not text:
        return escape(text or "")
    last = words[-1]
    out = []
    for piece in text.split(" "):
        hit = any(t in words or t.startswith(last) for t in tokens(piece))
        out.append(Markup("<mark>%s</mark>") % piece if hit else escape(piece))
    return Markup(" ").join(out)


@bp.app_context_processor
def search_helpers() -> dict[str, Any]:
    """Names the search templates use."""
    return {"search_kind_names": KIND_NAMES, "search_order_names": ORDER_NAMES,
            "search_entry_url": entry_url, "search_status_name": status_name,
            "search_highlight": highlight, "search_urgency_names": PRIORITY_NAMES}


def _choices() -> dict[str, Any]:
    types = db.session.execute(sa.select(DocumentType.code, DocumentType.name).where(
        DocumentType.org_id.is_(None), DocumentType.active.is_(True))
        .order_by(DocumentType.sort_order, DocumentType.name)).all()
    statuses = [(k, v) for k, v in INCOMING_STATUS_NAMES.items()] + [
        (k, v) for k, v in OUTGOING_STATUS_NAMES.items() if k not in INCOMING_STATUS_NAMES]
    return {"types": types, "statuses": statuses}


def _args() -> dict[str, str]:
    return {k: request.args.get(k, "") for k in PARAM_NAMES if request.args.get(k)}


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    """Search form and results."""
    require(current_user, "search.run")
    args = _args()
    result = error = None
    status = 200
    try:
        result = service.search(current_user, {**args, "page": request.args.get("page"),
                                               "per_page": request.args.get("per_page")})
    except DomainError as exc:
        error, status = error_message(exc), exc.status
    words = result.params.words if result is not None else ()
    return render_template("search/index.html", args=args, result=result, error=error,
                           words=words, saved=service.saved_searches(current_user),
                           **_choices()), status


@bp.post("/saved")
@login_required
def save():  # type: ignore[no-untyped-def]
    """Save the current search under a name."""
    args = {k: request.form.get(k, "") for k in PARAM_NAMES if request.form.get(k)}
    try:
        with unit_of_work():
            service.save_search(current_user, request.form.get("name", ""), args)
    except DomainError as exc:
        flash(error_message(exc), "error")
    else:
        flash(_("Đã lưu tìm kiếm."), "success")
    return redirect(url_for("search.index", **args))


@bp.get("/saved/<int:saved_id>")
@login_required
def run_saved(saved_id: int):  # type: ignore[no-untyped-def]
    """Run a saved search (its parameters become the page's)."""
    row = service.get_saved(current_user, saved_id)
    return redirect(url_for("search.index", **service.saved_params(row)))


@bp.post("/saved/<int:saved_id>/delete")
@login_required
def delete_saved(saved_id: int):  # type: ignore[no-untyped-def]
    """Forget a saved search."""
    with unit_of_work():
        service.delete_saved(current_user, saved_id)
    flash(_("Đã xóa tìm kiếm đã lưu."), "success")
    return redirect(url_for("search.index"))

