"""Web pages of the incoming workflow: thin handlers over ``incoming.service``.

Every page needs a signed-in user (``login_required`` on each view rather than a
blueprint ``before_request``, which APIFlask's OpenAPI generator trips over). Each
handler loads (404/403 through the service), makes one service call inside a unit
of work and redirects; a domain error on a form is flashed in Vietnamese and nothing is
changed (the unit of work rolled back).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eoffice.api.incoming import pdf_response
from eoffice.auth.models import User
from eoffice.core.errors import DomainError
from eoffice.core.permissions import can, require
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.i18n import error_message
from eoffice.incoming import distribution, queries, service
from eoffice.incoming.forms import (
    ActionForm,
    AssignForm,
    CompleteForm,
    IntakeForm,
    ProgressForm,
    ReassignForm,
    RefuseForm,
    TakebackForm,
)
from eoffice.incoming.models import (
    PRIORITY_NAMES,
    ROLE_NAMES,
    STATUS_NAMES,
    TIMELINESS_NAMES,
    IncomingDocument,
)
from eoffice.orgs.models import Organization

bp = Blueprint("incoming", __name__, url_prefix="/incoming")

LIST_TABS = (
    ("", "Tất cả"),
    ("received", "Chờ vào sổ"),
    ("accepted", "Chờ phân công"),
    ("assigned,processing", "Đang xử lý"),
    ("completed", "Đã hoàn thành"),
    ("refused,revoked,replaced,withdrawn", "Đã đóng"),
)


@bp.app_context_processor
def incoming_helpers() -> dict[str, Any]:
    """Names shown by the incoming templates."""
    return {"incoming_status_names": STATUS_NAMES, "incoming_priority_names": PRIORITY_NAMES,
            "incoming_role_names": ROLE_NAMES, "incoming_timeliness_names": TIMELINESS_NAMES}


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The register (clerk, leaders) or the person's own assigned documents."""
    require(current_user, "incoming.list", current_user.org)
    status = request.args.get("status", "")
    q = request.args.get("q", "")
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    rows, total = queries.list_documents(current_user, status=status or None, q=q, page=page,
                                         per_page=30)
    return render_template("incoming/index.html", rows=rows, total=total, page=page,
                           per_page=30, status=status, q=q, tabs=LIST_TABS,
                           can_intake=can(current_user, "incoming.intake", current_user.org))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():  # type: ignore[no-untyped-def]
    """Paper intake: upload the scan and key in the metadata."""
    require(current_user, "incoming.intake", current_user.org)
    form = IntakeForm()
    if form.validate_on_submit():
        files = [(f.filename or "scan", f.read()) for f in request.files.getlist("files")
                 if f and f.filename]
        try:
            with unit_of_work():
                meta = service.PaperMeta.from_mapping({
                    "issuer_name": form.issuer_name.data, "issuer_code": form.issuer_code.data,
                    "number": form.number.data, "notation": form.notation.data,
                    "issued_date": form.issued_date.data, "type_name": form.type_name.data,
                    "subject": form.subject.data, "signer_name": form.signer_name.data,
                    "priority": form.priority.data, "due_date": form.due_date.data})
                doc = service.intake_paper(current_user, current_user.org, meta, files)
                doc_id = doc.id
        except DomainError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã tiếp nhận văn bản giấy. Hãy kiểm tra rồi vào sổ."), "success")
            return redirect(url_for("incoming.show", doc_id=doc_id))
    return render_template("incoming/new.html", form=form)


def _units(body: Organization) -> list[Organization]:
    rows = db.session.execute(sa.select(Organization).where(Organization.tier_key == "unit")
                              .order_by(Organization.name)).scalars()
    return [u for u in rows if u.body.id == body.id]


def _people(body: Organization, unit_id: int | None = None) -> list[User]:
    stmt = sa.select(User).where(User.org_id == body.id, User.active.is_(True))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.session.execute(stmt.order_by(User.full_name)).scalars())


def _forms(doc: IncomingDocument) -> dict[str, Any]:
    assign = AssignForm(prefix="assign")
    choices = [SelectChoice(f"unit:{u.id}", _("Đơn vị: %(name)s", name=u.name))
               for u in _units(doc.org)]
    choices += [SelectChoice(u.username, u.full_name + (f" — {u.title}" if u.title else ""))
                for u in _people(doc.org)]
    assign.lead.choices = [SelectChoice("", _("— chọn —"))] + choices
    assign.cooperate.choices = choices
    assign.inform.choices = choices
    reassign = ReassignForm(prefix="reassign")
    reassign.user.choices = [SelectChoice(u.username, u.full_name)
                             for u in _people(doc.org, current_user.unit_id)
                             if u.id != current_user.id] if current_user.unit_id else []
    return {"register_form": ActionForm(prefix="register"),
            "refuse_form": RefuseForm(prefix="refuse"),
            "assign_form": assign, "reassign_form": reassign,
            "progress_form": ProgressForm(prefix="progress"),
            "complete_form": CompleteForm(prefix="complete"),
            "takeback_form": TakebackForm(prefix="takeback")}


@bp.get("/<int:doc_id>")
@login_required
def show(doc_id: int):  # type: ignore[no-untyped-def]
    """The document: verdict, metadata, direction, handlers, history, actions."""
    doc = service.get_document(current_user, doc_id)
    with unit_of_work():  # opening the page reads a document distributed "to inform"
        distribution.mark_opened(current_user, doc)
    actions = {a: can(current_user, f"incoming.{a}", doc) for a in
               ("register", "refuse", "assign", "reassign", "progress", "complete", "takeback")}
    reply_url = None
    if "outgoing.new" in current_app.view_functions and actions["complete"] \
            and doc.document_id:
        # the outgoing draft form takes the edXML DocumentId it answers (ResponseFor)
        reply_url = url_for("outgoing.new", reply_to=doc.document_id)
    # the files that have a validation report (a paper scan has none)
    reports = [(f, report) for f in doc.files
               if f.kind == "document" and (report := service.report_of(f)) is not None]
    return render_template("incoming/show.html", doc=doc, actions=actions, reports=reports,
                           repeats=service.repeated_arrivals(doc),
                           replaced_by=(service.replaced_by(doc)
                                        if doc.status == "replaced" else None),
                           reply_url=reply_url, reply=service.response_for_data(doc),
                           **_forms(doc))


def _act(doc_id: int, form_cls: Any, prefix: str, fn: Callable[[IncomingDocument, Any], Any],
         done: str) -> Response:
    form = form_cls(prefix=prefix)
    if isinstance(form, AssignForm):
        form.lead.choices = form.cooperate.choices = form.inform.choices = None  # type: ignore[assignment]
        form.lead.validate_choice = form.cooperate.validate_choice = False
        form.inform.validate_choice = False
    if isinstance(form, ReassignForm):
        form.user.validate_choice = False
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        flash(_("Dữ liệu không hợp lệ: %(errors)s", errors="; ".join(map(str, errors))),
              "danger")
        return redirect(url_for("incoming.show", doc_id=doc_id))
    try:
        with unit_of_work():
            doc = service.get_document(current_user, doc_id)
            fn(doc, form)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(error_message(exc), "danger")
    else:
        flash(done, "success")
    return redirect(url_for("incoming.show", doc_id=doc_id))


@bp.post("/<int:doc_id>/register")
@login_required
def register(doc_id: int) -> Response:
    """Vào sổ (03)."""
    return _act(doc_id, ActionForm, "register",
                lambda doc, form: service.register(current_user, doc),
                _("Đã vào sổ văn bản đến."))


@bp.post("/<int:doc_id>/refuse")
@login_required
def refuse(doc_id: int) -> Response:
    """Từ chối (02)."""
    return _act(doc_id, RefuseForm, "refuse",
                lambda doc, form: service.refuse(current_user, doc, form.reason.data),
                _("Đã từ chối và báo lại cơ quan gửi."))


@bp.post("/<int:doc_id>/assign")
@login_required
def assign(doc_id: int) -> Response:
    """Bút phê và phân công (04)."""
    return _act(doc_id, AssignForm, "assign",
                lambda doc, form: service.assign(
                    current_user, doc, lead=form.lead.data, cooperate=form.cooperate.data,
                    inform=form.inform.data, deadline=form.deadline.data,
                    directive=form.directive.data or ""),
                _("Đã phân công xử lý."))


@bp.post("/<int:doc_id>/reassign")
@login_required
def reassign(doc_id: int) -> Response:
    """Lãnh đạo đơn vị giao lại trong đơn vị."""
    return _act(doc_id, ReassignForm, "reassign",
                lambda doc, form: service.reassign(current_user, doc, user=form.user.data,
                                                   deadline=form.deadline.data,
                                                   note=form.note.data or ""),
                _("Đã giao lại trong đơn vị."))


@bp.post("/<int:doc_id>/progress")
@login_required
def progress(doc_id: int) -> Response:
    """Cập nhật tiến độ (05), ghi chú, tệp."""
    def act(doc: IncomingDocument, form: ProgressForm) -> Any:
        upload = request.files.get("progress-file")
        file = (upload.filename, upload.read()) if upload and upload.filename else None
        return service.add_note(current_user, doc, form.text.data or "", file=file)

    return _act(doc_id, ProgressForm, "progress", act, _("Đã cập nhật tiến độ."))


@bp.post("/<int:doc_id>/complete")
@login_required
def complete(doc_id: int) -> Response:
    """Hoàn thành (06)."""
    return _act(doc_id, CompleteForm, "complete",
                lambda doc, form: service.complete(current_user, doc, form.result.data),
                _("Đã hoàn thành xử lý văn bản."))


@bp.post("/<int:doc_id>/takeback")
@login_required
def takeback(doc_id: int) -> Response:
    """Trả lời đề nghị lấy lại (15/16)."""
    return _act(doc_id, TakebackForm, "takeback",
                lambda doc, form: service.answer_takeback(
                    current_user, doc, accept=form.answer.data == "accept",
                    reason=form.reason.data or ""),
                _("Đã trả lời đề nghị lấy lại văn bản."))


@bp.get("/<int:doc_id>/pdf")
@login_required
def pdf(doc_id: int) -> Response:
    """The received PDF (or the scan)."""
    return pdf_response(service.get_document(current_user, doc_id))


@bp.get("/<int:doc_id>/files/<int:file_id>")
@login_required
def file(doc_id: int, file_id: int) -> Response:
    """Any file of the document."""
    return pdf_response(service.get_document(current_user, doc_id), file_id)


@bp.get("/<int:doc_id>/slip.pdf")
@login_required
def slip(doc_id: int) -> Response:
    """Phiếu giải quyết văn bản đến (PDF to print)."""
    from eoffice.incoming.slip import render_slip

    doc = service.get_document(current_user, doc_id)
    response = Response(render_slip(doc), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="phieu-giai-quyet-{doc.id}.pdf"'
    return response
