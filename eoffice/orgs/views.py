"""Administration of the body tree (thin handlers; every change goes through the service)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eoffice.core.errors import DomainError
from eoffice.core.permissions import require
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.i18n import error_message
from eoffice.orgs import queries as org_queries
from eoffice.orgs import service as org_service
from eoffice.orgs.forms import MergeForm, OrgForm, RetireForm
from eoffice.orgs.models import OrgTier

bp = Blueprint("orgs", __name__, url_prefix="/admin")


def require_admin() -> None:
    """The administration pages are for admins; services still check every action."""
    require(current_user, "orgs.manage", current_user.org)


@bp.before_request
@login_required
def only_admins() -> None:
    require_admin()


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("orgs.index"))


@bp.get("/orgs", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The body tree under the admin's body."""
    show_retired = request.args.get("retired") == "1"
    rows = [(d, o) for d, o in org_queries.tree(current_user.org)
            if show_retired or o.is_active]
    return render_template("admin/orgs.html", rows=rows, show_retired=show_retired)


def _fill_org_form(form: OrgForm) -> None:
    form.tier.choices = [SelectChoice(t.key, t.name) for t in
                         db.session.execute(sa.select(OrgTier).order_by(OrgTier.sort_order)).scalars()]
    form.parent_id.choices = org_queries.org_choices(current_user.org)


@bp.route("/orgs/new", methods=["GET", "POST"], endpoint="new")
def org_new():  # type: ignore[no-untyped-def]
    form = OrgForm()
    _fill_org_form(form)
    if request.method == "GET" and request.args.get("parent"):
        form.parent_id.data = int(request.args["parent"])
    if form.validate_on_submit():
        try:
            with unit_of_work():
                org = org_service.create_org(
                    current_user, name=form.name.data, short_name=form.short_name.data,
                    tier=form.tier.data, parent=org_service.get_org(form.parent_id.data),
                    code=form.code.data, locality=form.locality.data or "",
                    address=form.address.data or "", email=form.email.data or "",
                    phone=form.phone.data or "", valid_from=form.valid_from.data,
                )
                name = org.name
        except DomainError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã thêm %(name)s.", name=name), "success")
            return redirect(url_for("orgs.index"))
    return render_template("admin/org_form.html", form=form, org=None)


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"], endpoint="edit")
def org_edit(org_id: int):  # type: ignore[no-untyped-def]
    org = org_service.get_org(org_id)
    require(current_user, "orgs.manage", org)
    form = OrgForm(obj=org)
    _fill_org_form(form)
    if request.method == "GET":
        form.tier.data = org.tier_key
        form.parent_id.data = org.parent_id or 0
    if form.validate_on_submit():
        try:
            with unit_of_work():
                org_service.update_org(
                    current_user, org, name=form.name.data, short_name=form.short_name.data,
                    locality=form.locality.data or "", address=form.address.data or "",
                    email=form.email.data or "", phone=form.phone.data or "",
                    valid_from=form.valid_from.data,
                )
        except DomainError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã lưu thay đổi."), "success")
            return redirect(url_for("orgs.edit", org_id=org.id))
    successions = org_queries.successions_of(org)
    return render_template("admin/org_form.html", form=form, org=org, retire_form=RetireForm(),
                           successions=successions)


@bp.post("/orgs/<int:org_id>/retire", endpoint="retire")
def org_retire(org_id: int):  # type: ignore[no-untyped-def]
    org = org_service.get_org(org_id)
    form = RetireForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng chọn ngày ngừng hoạt động."), "danger")
        return redirect(url_for("orgs.edit", org_id=org_id))
    try:
        with unit_of_work():
            org_service.retire_org(current_user, org, on=form.on.data)
    except DomainError as exc:
        flash(error_message(exc), "danger")
    else:
        flash(_("Đã ghi nhận %(name)s ngừng hoạt động.", name=org.name), "success")
    return redirect(url_for("orgs.edit", org_id=org_id))


@bp.route("/orgs/<int:org_id>/merge", methods=["GET", "POST"], endpoint="merge")
def org_merge(org_id: int):  # type: ignore[no-untyped-def]
    successor = org_service.get_org(org_id)
    require(current_user, "orgs.manage", successor)
    form = MergeForm()
    form.predecessors.choices = org_queries.org_choices(current_user.org, exclude=successor.id)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                olds = [org_service.get_org(i) for i in form.predecessors.data]
                org_service.merge_orgs(current_user, olds, successor, on=form.on.data,
                                       note=form.note.data or "")
        except DomainError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã ghi nhận việc sáp nhập vào %(name)s.", name=successor.name), "success")
            return redirect(url_for("orgs.edit", org_id=org_id))
    return render_template("admin/org_merge.html", form=form, successor=successor)
