"""Sign in and out on the web; session and bearer-token loading."""

from __future__ import annotations

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

from eoffice.auth import service
from eoffice.auth.forms import LoginForm
from eoffice.core.errors import Unauthorized
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db, limiter, login

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
            flash(_(exc.message), "danger")
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
