"""Administration of recipient groups (``/admin/groups``): thin handlers over
``orgs.groups``; every change goes through the service, which checks ``groups.manage``."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from eoffice.core.errors import DomainError
from eoffice.core.permissions import require
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.i18n import error_message
from eoffice.orgs import groups
from eoffice.orgs import queries as org_queries
from eoffice.orgs import service as org_service
from eoffice.orgs.models import OrgTier

bp = Blueprint("groups", __name__, url_prefix="/admin/groups")


class GroupForm(FlaskForm):
    """Create or edit a recipient group."""

    name = StringField(_l("Tên nhóm"), validators=[DataRequired(), Length(max=200)])
    slug = StringField(_l("Mã nhóm (không dấu, vd. ubnd-cap-huyen)"),
                       validators=[DataRequired(), Length(max=60)])
    kind = SelectField(_l("Loại nhóm"), choices=[
        SelectChoice("rule", _l("Theo quy tắc (tự cập nhật theo cây cơ quan)")),
        SelectChoice("static", _l("Danh sách cố định"))])
    tier = SelectField(_l("Quy tắc: cấp cơ quan"), validators=[Optional()])
    ancestor_id = SelectField(_l("Quy tắc: thuộc cơ quan"), coerce=int, validators=[Optional()])
    short_name = StringField(_l("Quy tắc: tên viết tắt (vd. UBND)"),
                             validators=[Optional(), Length(max=30)])
    name_prefix = StringField(_l("Quy tắc: tên bắt đầu bằng (vd. Sở)"),
                              validators=[Optional(), Length(max=100)])
    members = SelectMultipleField(_l("Danh sách cố định: các cơ quan"), coerce=int,
                                  validators=[Optional()])


class ToggleForm(FlaskForm):
    """Withdraw or restore a group."""


@bp.before_request
@login_required
def only_admins() -> None:
    require(current_user, "groups.manage", current_user.org)


def _fill(form: GroupForm) -> None:
    form.tier.choices = [SelectChoice("", _("— mọi cấp —"))] + [
        SelectChoice(t.key, t.name) for t in db.session.execute(
            sa.select(OrgTier).where(OrgTier.key != "unit").order_by(OrgTier.sort_order)
        ).scalars()]
    bodies = org_queries.org_choices(current_user.org)
    form.ancestor_id.choices = [SelectChoice(0, _("— cơ quan sở hữu nhóm —"))] + bodies
    form.members.choices = bodies


def _spec(form: GroupForm) -> groups.GroupSpec:
    ancestor = org_service.get_org(form.ancestor_id.data) if form.ancestor_id.data else None
    return groups.GroupSpec(
        name=form.name.data or "", slug=(form.slug.data or "").strip(), kind=form.kind.data,
        tier=form.tier.data or None, ancestor=ancestor, short_name=form.short_name.data or "",
        name_prefix=form.name_prefix.data or "",
        members=tuple(org_service.get_org(i) for i in form.members.data or []))


@bp.get("/", endpoint="index")
def index():  # type: ignore[no-untyped-def]
    """The groups the admin manages, each with what it stands for today."""
    rows = [(g, groups.resolve_group(g)) for g in groups.managed_groups(current_user)]
    return render_template("admin/groups.html", rows=rows, toggle_form=ToggleForm(),
                           kind_names=groups.KIND_NAMES)


def _save(group: groups.RecipientGroup | None) -> Any:
    form = GroupForm(obj=group)
    _fill(form)
    if group is not None and not form.is_submitted():
        form.tier.data = group.tier_key or ""
        form.ancestor_id.data = group.ancestor_id or 0
        form.members.data = [m.org_id for m in group.members]
    if form.validate_on_submit():
        try:
            with unit_of_work():
                spec = _spec(form)
                saved = (groups.create_group(current_user, spec) if group is None
                         else groups.update_group(current_user, group, spec))
                name = saved.name
        except DomainError as exc:
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã lưu nhóm nơi nhận %(name)s.", name=name), "success")
            return redirect(url_for("groups.index"))
    preview = groups.resolve_group(group) if group is not None else None
    return render_template("admin/group_form.html", form=form, group=group, preview=preview)


@bp.route("/new", methods=["GET", "POST"], endpoint="new")
def new():  # type: ignore[no-untyped-def]
    return _save(None)


@bp.route("/<int:group_id>", methods=["GET", "POST"], endpoint="edit")
def edit(group_id: int):  # type: ignore[no-untyped-def]
    group = groups.get_group(group_id)
    require(current_user, "groups.manage", group.owner)
    return _save(group)


@bp.post("/<int:group_id>/toggle", endpoint="toggle")
def toggle(group_id: int):  # type: ignore[no-untyped-def]
    form = ToggleForm()
    if not form.validate_on_submit():
        flash(_("Phiên làm việc đã hết hạn, vui lòng thử lại."), "danger")
        return redirect(url_for("groups.index"))
    try:
        with unit_of_work():
            group = groups.get_group(group_id)
            groups.set_active(current_user, group, not group.active)
    except DomainError as exc:
        if exc.status == 404:
            raise
        flash(error_message(exc), "danger")
    return redirect(url_for("groups.index"))
