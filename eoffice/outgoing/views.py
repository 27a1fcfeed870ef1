"""Web pages for outgoing documents (Vietnamese): thin handlers over ``service``.

Pages: issued documents with per-recipient status (``index``), drafts and review queue
(``drafts``), new draft by upload or composition (``new``), the document page with its
preview, metadata, history, versions and the actions the viewer may take (``detail``),
the leader's "Chờ ký" queue with batch signing (``sign_queue``) and the clerk's "Chờ ban
hành" queue (``issue_queue``). Refusals (409/422/413) come back as a flash message on the
page; 403/404 render the error page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user, login_required
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms.fields.choices import SelectChoice

from eoffice.auth.models import User
from eoffice.core.errors import DomainError, NotFound, PermissionDenied
from eoffice.core.permissions import can
from eoffice.core.uow import unit_of_work
from eoffice.documents import numbering
from eoffice.extensions import db
from eoffice.i18n import error_message
from eoffice.orgs import groups as recipient_groups
from eoffice.orgs import queries as org_queries
from eoffice.outgoing import files, queries, service, workflow
from eoffice.outgoing.forms import (
    ActionForm,
    CommentForm,
    DraftForm,
    EditForm,
    LayoutForm,
    PinForm,
    ReasonForm,
    TakebackForm,
    UpdateRecipientsForm,
)
from eoffice.outgoing.models import OutgoingDocument

bp = Blueprint("outgoing", __name__, url_prefix="/outgoing")


def _status(status: str) -> str:
    if status == "draft":  # the state ("Draft"), not the menu's "Dự thảo" ("Drafts")
        return pgettext("trạng thái văn bản", "Dự thảo")
    return _(queries.status_label(status))


@bp.app_context_processor
def outgoing_helpers() -> dict[str, Any]:
    """Labels for templates."""
    return {"outgoing_status": _status,
            "outgoing_action": lambda a: _(workflow.ACTION_LABELS.get(a, a)),
            "version_reason": lambda r: _(workflow.VERSION_LABELS.get(r, r)),
            "urgency_label": lambda u: _(service.URGENCY_LABELS.get(u or "", u)),
            "secrecy_label": lambda c: _(service.CONFIDENTIALITY_LABELS.get(c or "", c))}


def _refused(exc: DomainError) -> None:
    if isinstance(exc, PermissionDenied | NotFound):
        raise exc
    flash(error_message(exc), "error")


def _load(doc_id: int) -> OutgoingDocument:
    return service.load_for(current_user, doc_id)


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    """Issued documents of the body with their delivery status."""
    page = max(request.args.get("page", 1, type=int), 1)
    docs, total = queries.issued(current_user, q=request.args.get("q", ""), page=page)
    statuses = queries.recipient_statuses_for(docs)
    rows = [(d, statuses[d.id]) for d in docs]
    return render_template("outgoing/index.html", rows=rows, total=total, page=page,
                           q=request.args.get("q", ""),
                           waiting_issue=len(queries.to_issue(current_user))
                           if current_user.has_role("clerk") else 0,
                           waiting_sign=len(queries.to_sign(current_user))
                           if current_user.has_role("leader") else 0)


@bp.get("/drafts")
@login_required
def drafts():  # type: ignore[no-untyped-def]
    """Drafts the user wrote or reviews."""
    return render_template("outgoing/drafts.html", docs=queries.drafts_for(current_user),
                           review=queries.to_review(current_user),
                           can_create=can(current_user, "outgoing.create", current_user.org))


@dataclass(frozen=True)
class RecipientGroup:
    """The bodies of one tier in the recipient picker ("chọn tất cả cấp huyện")."""

    key: str
    name: str
    bodies: list[tuple[str, str]]


def _fill(form: DraftForm) -> list[RecipientGroup]:
    """Fill the choices; return the recipient bodies grouped by tier for the picker."""
    org = current_user.org
    form.doc_type.choices = [SelectChoice(t.abbreviation or t.code, t.name)
                             for t in numbering.document_types_for(org)]
    bodies = [o for o in org_queries.list_bodies()
              if o.code and o.id != org.body.id and o.is_active]
    form.recipients.choices = [SelectChoice(o.code, o.name) for o in bodies]
    form.recipient_groups.choices = [SelectChoice(g.slug, g.name)
                                     for g in recipient_groups.usable_groups(current_user)]
    groups: dict[str, RecipientGroup] = {}
    for body in sorted(bodies, key=lambda o: (o.tier.sort_order, o.code or "")):
        group = groups.setdefault(body.tier_key,
                                  RecipientGroup(body.tier_key, body.tier.name, []))
        group.bodies.append((body.code or "", body.name))
    leaders = db.session.execute(sa.select(User).where(User.org_id == org.id,
                                                       User.active.is_(True))
                                 .order_by(User.full_name)).scalars()
    form.signer.choices = [SelectChoice(u.username, f"{u.full_name} — {u.title}") for u in leaders
                           if u.has_role("leader")]
    return list(groups.values())


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():  # type: ignore[no-untyped-def]
    """A new draft: upload a PDF/DOCX or compose from the Decree 30 template."""
    form = DraftForm()
    groups = _fill(form)
    if request.method == "GET" and request.args.get("reply_to"):
        form.response_for.data = request.args["reply_to"]
    if form.validate_on_submit():
        recipients = list(form.recipients.data or [])
        recipients += [c.strip() for c in (form.external.data or "").split(",") if c.strip()]
        upload = form.file.data
        args: dict[str, Any] = {}
        if form.mode.data == "upload":
            args["file"] = upload.read() if upload else None
            args["filename"] = upload.filename if upload else ""
        else:
            args["body"] = form.body.data or ""
        try:
            with unit_of_work():
                doc = service.create_draft(
                    current_user, doc_type=form.doc_type.data, subject=form.subject.data or "",
                    recipients=recipients, signer=form.signer.data or "",
                    recipient_groups=list(form.recipient_groups.data or []),
                    urgency=form.urgency.data or "",
                    confidentiality=form.confidentiality.data or "",
                    due_date=form.due_date.data, response_for=form.response_for.data or "",
                    authority=form.authority.data or "",
                    attachments=[(f.filename, f.read()) for f in form.attachments.data or []
                                 if getattr(f, "filename", "")],
                    **args)
                doc_id, detected = doc.id, bool(doc.layout_json)
        except DomainError as exc:
            _refused(exc)
        else:
            flash(_("Đã tạo dự thảo."), "success")
            if not detected:
                flash(_("Không tìm thấy vị trí “Số:” hoặc dòng ngày tháng trên tệp: hãy chọn "
                        "vị trí trên trang xem trước."), "warning")
            return redirect(url_for("outgoing.detail", doc_id=doc_id))
    elif request.method == "POST":
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    return render_template("outgoing/new.html", form=form, groups=groups,
                           chosen=set(form.recipients.data or []))


@bp.get("/<int:doc_id>")
@login_required
def detail(doc_id: int):  # type: ignore[no-untyped-def]
    """The document: preview, metadata, recipients, history, actions."""
    doc = _load(doc_id)
    if doc.issued_at is None:  # not issued yet: a draft, under "Dự thảo" in the menu
        g.nav_owner = "outgoing.drafts"
    pages = files.check_pdf(service.current_pdf(doc)) if doc.status in (
        "draft", "returned") else None
    actions = {
        "edit": can(current_user, "outgoing.edit", doc) and workflow.allowed("edit", doc.status),
        "submit": can(current_user, "outgoing.submit", doc)
        and workflow.allowed("submit", doc.status),
        "review": can(current_user, "outgoing.review", doc)
        and workflow.allowed("approve", doc.status),
        "return_approved": can(current_user, "outgoing.sign", doc) and doc.status == "approved",
        "sign": can(current_user, "outgoing.sign", doc) and workflow.allowed("sign", doc.status),
        "issue": can(current_user, "outgoing.issue", doc)
        and workflow.allowed("issue", doc.status),
        "send": can(current_user, "outgoing.dispatch", doc) and doc.status == "issued"
        and not doc.is_confidential,
        "revoke": can(current_user, "outgoing.dispatch", doc)
        and workflow.allowed("revoke", doc.status),
        "takeback": can(current_user, "outgoing.dispatch", doc)
        and workflow.allowed("takeback", doc.status),
        "update_recipients": can(current_user, "outgoing.dispatch", doc)
        and workflow.allowed("update_recipients", doc.status),
    }
    current = {r.org_code for r in doc.recipients}
    addable = [(o.code, o.name) for o in org_queries.list_bodies()
               if actions["update_recipients"] and o.code and o.is_active
               and o.id != doc.org_id and o.code not in current]
    return render_template(
        "outgoing/detail.html", doc=doc, actions=actions, pages=pages,
        layout=service.layout_from_json(doc.layout_json),
        recipients=queries.recipient_statuses(doc) if doc.issued_at else None,
        comment_form=CommentForm(), pin_form=PinForm(), reason_form=ReasonForm(),
        action_form=ActionForm(), layout_form=LayoutForm(), edit_form=EditForm(),
        takeback_form=TakebackForm(prefix="takeback"),
        update_form=UpdateRecipientsForm(prefix="update"), addable=addable,
        active_recipients=service.active_recipients(doc), replaces=queries.replaces_of(doc),
        refusal=service.CONFIDENTIAL_REFUSAL if doc.is_confidential else "")


@bp.get("/<int:doc_id>/pdf")
@login_required
def pdf(doc_id: int):  # type: ignore[no-untyped-def]
    """The current PDF, shown inline."""
    doc = _load(doc_id)
    name = (doc.code or f"du-thao-{doc.id}").replace("/", "-") + ".pdf"
    return Response(service.current_pdf(doc), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/<int:doc_id>/page/<int:page>.png")
@login_required
def page_png(doc_id: int, page: int):  # type: ignore[no-untyped-def]
    """One page of the current PDF as an image (preview and box placement).

    Pages link here with ``v=<digest of the current version>``: the browser may cache an
    image, and a new version (signed, issued) must not show the previous one's page."""
    doc = _load(doc_id)
    dpi = min(max(request.args.get("dpi", 72, type=int), 36), 150)
    return Response(files.render_page_png(service.current_pdf(doc), page, dpi=dpi),
                    mimetype="image/png", headers={"Cache-Control": "private, max-age=60"})


def _post(doc_id: int, form: Any, call: Any, success: str) -> Any:
    doc = _load(doc_id)
    if not form.validate_on_submit():
        flash(_("Biểu mẫu không hợp lệ hoặc thiếu thông tin."), "error")
        return redirect(url_for("outgoing.detail", doc_id=doc_id))
    try:
        with unit_of_work():
            call(doc, form)
    except DomainError as exc:
        _refused(exc)
    else:
        flash(success, "success")
    return redirect(url_for("outgoing.detail", doc_id=doc_id))


@bp.post("/<int:doc_id>/submit")
@login_required
def submit(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, CommentForm(), lambda d, f: service.submit(
        current_user, d, comment=f.comment.data or ""), _("Đã trình duyệt dự thảo."))


@bp.post("/<int:doc_id>/approve")
@login_required
def approve(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, CommentForm(), lambda d, f: service.approve(
        current_user, d, comment=f.comment.data or ""), _("Đã duyệt dự thảo."))


@bp.post("/<int:doc_id>/return")
@login_required
def return_(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, CommentForm(), lambda d, f: service.return_draft(
        current_user, d, comment=f.comment.data or ""), _("Đã trả lại dự thảo."))


@bp.post("/<int:doc_id>/sign")
@login_required
def sign(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, PinForm(), lambda d, f: service.sign(current_user, d, pin=f.pin.data),
                 _("Đã ký số văn bản."))


@bp.post("/<int:doc_id>/issue")
@login_required
def issue(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, ActionForm(), lambda d, f: service.issue(current_user, d),
                 _("Đã ban hành văn bản (cấp số, ký số cơ quan) và gửi đi."))


@bp.post("/<int:doc_id>/send")
@login_required
def send(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, ActionForm(), lambda d, f: service.send(current_user, d),
                 _("Đã gửi văn bản qua trục liên thông."))


@bp.post("/<int:doc_id>/revoke")
@login_required
def revoke(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, ReasonForm(), lambda d, f: service.revoke(
        current_user, d, reason=f.reason.data), _("Đã thu hồi văn bản."))


@bp.post("/<int:doc_id>/takeback")
@login_required
def takeback(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, TakebackForm(prefix="takeback"), lambda d, f: service.request_takeback(
        current_user, d, reason=f.reason.data, recipients=f.recipients.data or None),
        _("Đã gửi đề nghị lấy lại văn bản; chờ nơi nhận trả lời."))


@bp.post("/<int:doc_id>/update-recipients")
@login_required
def update_recipients(doc_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, UpdateRecipientsForm(prefix="update"),
                 lambda d, f: service.update_recipients(
                     current_user, d, add=f.add.data or [], remove=f.remove.data or [],
                     reason=f.reason.data),
                 _("Đã cập nhật nơi nhận và gửi thông báo cập nhật."))


@bp.post("/<int:doc_id>/resend/<int:message_id>")
@login_required
def resend(doc_id: int, message_id: int):  # type: ignore[no-untyped-def]
    return _post(doc_id, ActionForm(), lambda d, f: service.resend(current_user, d, message_id),
                 _("Đã đưa gói tin vào hàng đợi gửi lại."))


@bp.post("/<int:doc_id>/layout")
@login_required
def layout(doc_id: int):  # type: ignore[no-untyped-def]
    def call(doc: OutgoingDocument, form: LayoutForm) -> None:
        try:
            data = json.loads(form.layout.data)
        except ValueError:
            data = None
        service.set_layout(current_user, doc, data)

    return _post(doc_id, LayoutForm(), call, _("Đã lưu vị trí số, ngày và chữ ký."))


@bp.post("/<int:doc_id>/edit")
@login_required
def edit(doc_id: int):  # type: ignore[no-untyped-def]
    def call(doc: OutgoingDocument, form: EditForm) -> None:
        upload = form.file.data
        if upload and getattr(upload, "filename", ""):
            service.update_draft(current_user, doc, file=upload.read(),
                                 filename=upload.filename, comment=form.comment.data or "")
        else:
            service.update_draft(current_user, doc, body=form.body.data or "",
                                 comment=form.comment.data or "")

    return _post(doc_id, EditForm(), call, _("Đã lưu phiên bản mới của dự thảo."))


@bp.get("/sign")
@login_required
def sign_queue():  # type: ignore[no-untyped-def]
    """The leader's queue "Chờ ký" with batch signing (and the drafts to approve first)."""
    return render_template("outgoing/sign_queue.html", docs=queries.to_sign(current_user),
                           review=queries.to_review(current_user), form=PinForm(),
                           results=None)


@bp.post("/sign")
@login_required
def sign_batch():  # type: ignore[no-untyped-def]
    """Sign the selected drafts with one PIN; show a result per document."""
    form = PinForm()
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    results = []
    if form.validate_on_submit():
        try:
            with unit_of_work():
                results = service.sign_batch(current_user, ids, pin=form.pin.data)
        except DomainError as exc:
            _refused(exc)
    else:
        flash(_("Cần nhập mã PIN."), "error")
    titles = {d.id: d.subject for d in db.session.execute(
        sa.select(OutgoingDocument).where(OutgoingDocument.id.in_(ids))).scalars()} if ids else {}
    return render_template("outgoing/sign_queue.html", docs=queries.to_sign(current_user),
                           review=queries.to_review(current_user), form=PinForm(),
                           results=results, titles=titles,
                           refusals={r.id: error_message(r.error) for r in results if r.error})


@bp.get("/issue")
@login_required
def issue_queue():  # type: ignore[no-untyped-def]
    """The clerk's queue "Chờ ban hành"."""
    return render_template("outgoing/issue_queue.html", docs=queries.to_issue(current_user),
                           form=ActionForm())


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge):  # type: ignore[no-untyped-def]
    """An upload over the limit: the 413 page with a clear message."""
    return render_template("errors/error.html", status=413,
                           message=_("Tệp tải lên vượt quá dung lượng cho phép.")), 413
