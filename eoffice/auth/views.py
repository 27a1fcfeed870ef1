"""Sign in and out on the web; session and bearer-token loading; account administration."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from eoffice.auth import service
from eoffice.auth import service as auth_service
from eoffice.auth.forms import LoginForm, UserForm
from eoffice.auth.models import ROLE_NAMES, User
from eoffice.core.errors import DomainError, Unauthorized
from eoffice.core.permissions import require
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db, limiter, login
from eoffice.i18n import error_message
from eoffice.orgs import queries as org_queries
from eoffice.orgs import service as org_service
from eoffice.orgs.views import require_admin

bp = Blueprint("auth", __name__)


def init_login(app: Flask) -> None:
    """Configure Flask-Login: sessions for pages, bearer tokens for the API."""
    login.init_app(app)
    login.login_view = "auth.login"
    login.login_message = "Vui lòng đăng nhập để tiếp tục."
    login.login_message_category = "warning"

    @login.user_loader
    def load_user(user_id: str):  # type: ignore[no-untyped-def]
        from eoffice.auth.models import User

        if request.path.startswith("/api/"):
            return None  # the API authenticates by bearer token only (no cookie, no CSRF risk)
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None

    @login.unauthorized_handler
    def unauthorized():  # type: ignore[no-untyped-def]
        from eoffice.core.http import error_response, wants_json

        if wants_json():
            return error_response(401, "unauthorized", "Thiếu hoặc sai mã truy cập (Bearer token).")
        flash(_("Vui lòng đăng nhập để tiếp tục."), "warning")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @login.request_loader
    def load_from_token(req):  # type: ignore[no-untyped-def]
        header = req.headers.get("Authorization", "")
        if not req.path.startswith("/api/") or not header.lower().startswith("bearer "):
            return None
        return service.user_for_token(header[7:].strip())


def login_failed() -> bool:
    """Flask-Limiter deducts only failed attempts (set by the views)."""
    return bool(g.get("login_failed"))


def login_rate_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"], endpoint="login")
@limiter.limit(login_rate_limit, methods=["POST"], deduct_when=lambda response: login_failed())
def login_view():  # type: ignore[no-untyped-def]
    """The Vietnamese sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("core.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            with unit_of_work():
                user = service.authenticate(form.username.data, form.password.data)
                service.record_login(user, via="web")
        except Unauthorized as exc:
            g.login_failed = True
            flash(error_message(exc), "danger")
        else:
            login_user(user, remember=form.remember.data)
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("core.index")
            return redirect(target)
    elif request.method == "POST":
        g.login_failed = True
        flash(_("Vui lòng nhập tên đăng nhập và mật khẩu."), "danger")
    return render_template("auth/login.html", form=form)



@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    """Sign out (POST, CSRF-protected)."""
    logout_user()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("auth.login"))


# ---------------------------------------------------------------------------------------
# administration of accounts (/admin/users)


def _fill_user_form(form: UserForm) -> None:
    form.org_id.choices = org_queries.org_choices(current_user.org)
    form.unit_id.choices = [SelectChoice(0, _("(không có)"))] + [
        SelectChoice(o.id, f"{o.parent.short_name if o.parent else ''} / {o.name}")
        for d, o in org_queries.tree(current_user.org) if o.tier_key == "unit"
    ]


@bp.get("/admin/users", endpoint="users")
@login_required
def users():  # type: ignore[no-untyped-def]
    """Accounts in the admin's subtree."""
    require_admin()
    q = (request.args.get("q") or "").strip().lower()
    stmt = org_queries.visible_users_query(current_user)
    if q:
        like = f"%{q}%"
        stmt = stmt.where(sa.or_(sa.func.lower(User.username).like(like),
                                 sa.func.lower(User.full_name).like(like)))
    rows = db.session.execute(stmt.order_by(User.org_id, User.username).limit(500)).scalars().all()
    return render_template("admin/users.html", users=rows, q=q, role_names=ROLE_NAMES)


@bp.route("/admin/users/new", methods=["GET", "POST"], endpoint="user_new")
@login_required
def user_new():  # type: ignore[no-untyped-def]
    require_admin()
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
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã tạo tài khoản %(u)s.", u=username), "success")
            return redirect(url_for("auth.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"], endpoint="user_edit")
@login_required
def user_edit(user_id: int):  # type: ignore[no-untyped-def]
    require_admin()
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
            flash(error_message(exc), "danger")
        else:
            flash(_("Đã lưu thay đổi."), "success")
            return redirect(url_for("auth.user_edit", user_id=user_id))
    return render_template("admin/user_form.html", form=form, user=user)
