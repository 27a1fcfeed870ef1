"""Web pages down and up the tiers: the clerk's "Chuyển tiếp (sao y)" form on an incoming
document, the copy PDF, and the progress tree of an outgoing document (issuing body only).

Thin handlers over ``tiers.service`` / ``tiers.progress``. The incoming and outgoing pages
include this package's partial templates, which ask :func:`tiers_panel` /
:func:`tiers_tree_link` (template globals) for their data.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eoffice.core.errors import DomainError
from eoffice.core.permissions import can
from eoffice.core.uow import unit_of_work
from eoffice.i18n import error_message
from eoffice.incoming import service as incoming
from eoffice.outgoing import service as outgoing
from eoffice.tiers import progress, service

bp = Blueprint("tiers", __name__, url_prefix="/tiers")


@bp.app_template_global()
def tiers_panel(doc: Any) -> dict[str, Any]:
    """What the incoming page shows about forwarding: the form and the copies made."""
    if not current_user.is_authenticated or doc.org_id != current_user.org_id:
        return {"can_forward": False, "copies": [], "below": []}
    allowed = can(current_user, "tiers.forward", doc)
    copies = [c for c in service.copies_of(doc) if service.can_view(current_user, c)]
    return {"can_forward": allowed and service.can_forward_now(doc),
            "below": service.bodies_below(doc.org) if allowed else [],
            "copies": [service.copy_record(c) for c in copies]}


@bp.app_template_global()
def tiers_tree_link(doc: Any) -> str | None:
    """The progress tree's address, for people of the issuing body once it was issued."""
    if not current_user.is_authenticated or not getattr(doc, "document_id", ""):
        return None
    if not can(current_user, "tiers.tree", doc):
        return None
    return url_for("tiers.tree", doc_id=doc.id)


@bp.app_template_global()
def tiers_status_name(code: str) -> str:
    """The Vietnamese name of a QCVN 102 status code as the tree shows it (untranslated)."""
    return progress.STATUS_NAMES[progress.STATUS_KEYS.get(code or "", "sent")]


@bp.post("/incoming/<int:doc_id>/forward")
@login_required
def forward(doc_id: int) -> Response:
    """The clerk forwards the document's sao y to the chosen bodies below (or all)."""
    try:
        with unit_of_work():
            doc = incoming.get_document(current_user, doc_id)
            copy = service.forward_copy(
                current_user, doc, recipients=request.form.getlist("recipients"),
                all_below=request.form.get("all_below") == "1")
            code, count = copy.code, len(copy.recipients)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(error_message(exc), "danger")
    else:
        flash(_("Đã sao y số %(code)s và chuyển tiếp đến %(n)s cơ quan.", code=code, n=count),
              "success")
    return redirect(url_for("incoming.show", doc_id=doc_id))


@bp.get("/copies/<int:copy_id>/pdf")
@login_required
def copy_pdf(copy_id: int) -> Response:
    """The signed copy (the original embedded as its source file)."""
    copy = service.get_copy(current_user, copy_id)
    name = copy.code.replace("/", "-") + ".pdf"
    return Response(service.copy_pdf(copy), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/outgoing/<int:doc_id>/tree")
@login_required
def tree(doc_id: int) -> str:
    """The progress tree of an outgoing document, drillable district by district."""
    doc = outgoing.load_for(current_user, doc_id)
    data = progress.build_tree(current_user, doc)
    return render_template("tiers/tree.html", doc=doc, tree=data,
                           status_names=progress.STATUS_NAMES)
