"""Thin handlers for the administration pages; every change goes through a service."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eoffice.admin.forms import AuditFilterForm, MergeForm, OrgForm, RetireForm
from eoffice.audit.models import AuditEvent
from eoffice.auth import service as auth_service
from eoffice.auth.forms import UserForm
from eoffice.auth.models import ROLE_NAMES, User
from eoffice.core.errors import DomainError
from eoffice.core.permissions import require
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.orgs import queries as org_queries
from eoffice.orgs import service as org_service
from eoffice.orgs.models import OrgTier

bp = Blueprint("admin", __name__, url_prefix="/admin")
VN = ZoneInfo("Asia/Ho_Chi_Minh")


@bp.before_request
@login_required
def only_admins() -> None:
    """The whole area is for admins; services still check every action."""
    require(current_user, "orgs.manage", current_user.org)


def _org_choices(include_units: bool = False, exclude: int | None = None) -> list[SelectChoice]:
    rows = org_queries.tree(current_user.org)
    return [SelectChoice(org.id, "— " * depth + org.name) for depth, org in rows
            if (include_units or org.is_body) and org.id != exclude]


@bp.get("/")
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("admin.orgs"))


@bp.get("/orgs")
def orgs():  # type: ignore[no-untyped-def]
    """The body tree under the admin's body."""
    show_retired = request.args.get("retired") == "1"
    rows = [(d, o) for d, o in org_queries.tree(current_user.org)
            if show_retired or o.is_active]
    return render_template("admin/orgs.html", rows=rows, show_retired=show_retired)


def _fill_org_form(form: OrgForm) -> None:
    form.tier.choices = [SelectChoice(t.key, t.name) for t in
                         db.session.execute(sa.select(OrgTier).order_by(OrgTier.sort_order)).scalars()]
    form.parent_id.choices = _org_choices(include_units=False)


@bp.route("/orgs/new", methods=["GET", "POST"])
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
            flash(_(exc.message), "danger")
        else:
            flash(_("Đã thêm %(name)s.", name=name), "success")
            return redirect(url_for("admin.orgs"))
    return render_template("admin/org_form.html", form=form, org=None)


@bp.route("/orgs/<int:org_id>", methods=["GET", "POST"])
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
            flash(_(exc.message), "danger")
        else:
            flash(_("Đã lưu thay đổi."), "success")
            return redirect(url_for("admin.org_edit", org_id=org.id))
    successions = org_queries.successions_of(org)
    return render_template("admin/org_form.html", form=form, org=org, retire_form=RetireForm(),
                           successions=successions)


@bp.post("/orgs/<int:org_id>/retire")
def org_retire(org_id: int):  # type: ignore[no-untyped-def]
    org = org_service.get_org(org_id)
    form = RetireForm()
    if not form.validate_on_submit():
        flash(_("Vui lòng chọn ngày ngừng hoạt động."), "danger")
        return redirect(url_for("admin.org_edit", org_id=org_id))
    try:
        with unit_of_work():
            org_service.retire_org(current_user, org, on=form.on.data)
    except DomainError as exc:
        flash(_(exc.message), "danger")
    else:
        flash(_("Đã ghi nhận %(name)s ngừng hoạt động.", name=org.name), "success")
    return redirect(url_for("admin.org_edit", org_id=org_id))


@bp.route("/orgs/<int:org_id>/merge", methods=["GET", "POST"])
def org_merge(org_id: int):  # type: ignore[no-untyped-def]
    successor = org_service.get_org(org_id)
    require(current_user, "orgs.manage", successor)
    form = MergeForm()
    form.predecessors.choices = _org_choices(exclude=successor.id)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                olds = [org_service.get_org(i) for i in form.predecessors.data]
                org_service.merge_orgs(current_user, olds, successor, on=form.on.data,
                                       note=form.note.data or "")
        except DomainError as exc:
            flash(_(exc.message), "danger")
        else:
            flash(_("Đã ghi nhận việc sáp nhập vào %(name)s.", name=successor.name), "success")
            return redirect(url_for("admin.org_edit", org_id=org_id))
    return render_template("admin/org_merge.html", form=form, successor=successor)


@bp.get("/users")
def users():  # type: ignore[no-untyped-def]
    """Accounts in the admin's subtree."""
    q = (request.args.get("q") or "").strip().lower()
    stmt = org_queries.visible_users_query(current_user)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.username).like(like),
                                 sa.func.lower(User.full_name).like(like)))
    rows = db.session.execute(stmt.order_by(User.org_id, User.username).limit(500)).scalars().all()
    return render_template("admin/users.html", users=rows, q=q, role_names=ROLE_NAMES)


def _fill_user_form(form: UserForm) -> None:
    form.org_id.choices = _org_choices()
    form.unit_id.choices = [SelectChoice(0, _("(không có)"))] + [
        SelectChoice(o.id, f"{o.parent.short_name if o.parent else ''} / {o.name}")
        for d, o in org_queries.tree(current_user.org) if o.tier_key == "unit"
    ]


@bp.route("/users/new", methods=["GET", "POST"])
def user_new():  # type: ignore[no-untyped-def]
    form = UserForm()
    _fill_user_form(form)
    if form.validate_on_submit():
        try:
            with unit_of_work():
                org = org_service.get_org(form.org_id.data)
                unit = org_service.get_org(form.unit_id.data) if form.unit_id.data else None
                user = auth_service.create_user(
                    current_user, username=form.username.data or "",
                    password=form.password.data or "", full_name=form.full_name.data,
                    org=org, unit=unit, roles=form.roles.data or [], title=form.title.data or "",
                    email=form.email.data or "",
                )
                username = user.username
        except DomainError as exc:
            flash(_(exc.message), "danger")
        else:
            flash(_("Đã tạo tài khoản %(u)s.", u=username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def user_edit(user_id: int):  # type: ignore[no-untyped-def]
    user = auth_service.get_user(user_id)
    require(current_user, "users.manage", user)
    form = UserForm(obj=user)
    _fill_user_form(form)
    if request.method == "GET":
        form.roles.data = user.roles
        form.unit_id.data = user.unit_id or 0
        form.org_id.data = user.org_id
    if form.validate_on_submit():
        try:
            with unit_of_work():
                unit = org_service.get_org(form.unit_id.data) if form.unit_id.data else None
                auth_service.update_user(
                    current_user, user, full_name=form.full_name.data,
                    title=form.title.data or "", email=form.email.data or "",
                    roles=form.roles.data or [], unit=unit, active=form.active.data,
                )
                if form.password.data:
                    auth_service.set_password(current_user, user, form.password.data)
        except DomainError as exc:
            flash(_(exc.message), "danger")
        else:
            flash(_("Đã lưu thay đổi."), "success")
            return redirect(url_for("admin.user_edit", user_id=user_id))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.get("/audit")
def audit():  # type: ignore[no-untyped-def]
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
