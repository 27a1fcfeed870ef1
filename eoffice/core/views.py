"""Home page, language switch, health check."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import text

from eoffice.auth.models import ROLE_NAMES
from eoffice.extensions import celery, db

bp = Blueprint("core", __name__)

# Navigation by role: (endpoint, label, roles that see it). An entry shows only once
# the capability behind it is registered in the app.
NAV = (
    ("core.index", _l("Trang chủ"), None),
    ("incoming.index", _l("Văn bản đến"), None),
    ("distribution.to_inform", _l("Văn bản để biết"), None),
    ("outgoing.index", _l("Văn bản đi"), None),
    ("outgoing.drafts", _l("Dự thảo"), ("specialist", "head", "leader")),
    ("search.index", _l("Tìm kiếm"), None),
    ("reports.registers", _l("Sổ & báo cáo"), ("leader", "clerk")),
    ("dashboard.figures", _l("Thống kê"), ("leader", "clerk", "admin")),
    ("verify.index", _l("Kiểm tra chữ ký"), None),
    ("orgs.index", _l("Quản trị"), ("admin",)),
)
# Pages whose menu entry is not their blueprint's first one (the others light up that).
# A view that knows better for one page (a draft's page: "Dự thảo", an issued
# document's: "Văn bản đi") sets ``g.nav_owner``.
NAV_OWNERS = {"outgoing.new": "outgoing.drafts", "outgoing.sign_queue": "outgoing.drafts"}


@bp.app_context_processor
def layout_helpers() -> dict[str, object]:
    """Helpers every template may use."""

    def nav_items() -> list[dict[str, object]]:
        # One entry is lit: the page's own (or the one the view named), else its
        # blueprint's first that this user sees ("Dự thảo" for the drafts, a new draft,
        # the signing queue and a draft's page; a clerk, who has no "Dự thảo", sees a
        # draft's page under "Văn bản đi").
        endpoint_now = request.endpoint or ""
        current = g.get("nav_owner") or NAV_OWNERS.get(endpoint_now, endpoint_now)
        shown = [(endpoint, label) for endpoint, label, roles in NAV
                 if endpoint in current_app.view_functions
                 and (not roles or current_user.has_role(*roles))]
        endpoints = [endpoint for endpoint, _label in shown]
        owner = current if current in endpoints else next(
            (e for e in endpoints if e.split(".")[0] == current.split(".")[0] != "core"), None)
        items = []
        for endpoint, label in shown:
            if endpoint == "orgs.index":  # the admin pages span several blueprints
                active = (request.path or "").startswith("/admin")
            else:
                active = endpoint == owner
            items.append({"url": url_for(endpoint), "label": label, "active": active})
        return items

    def localized(item: Any, field: str) -> str:
        """``item``'s ``field``, or in the English interface its English twin
        ``<field>_en`` where it has one (validation reports carry both)."""
        value = item.get if isinstance(item, dict) else (
            lambda key: getattr(item, key, None))
        if str(get_locale() or "vi") == "en" and value(f"{field}_en"):
            return str(value(f"{field}_en"))
        return str(value(field) or "")

    return {"nav_items": nav_items, "role_name": lambda r: _(ROLE_NAMES.get(r, r)),
            "current_locale": lambda: str(get_locale() or "vi"), "localized": localized}


@bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    """The signed-in user's start page: my work, and the body's figures for leaders."""
    from eoffice.dashboard.views import home

    return home()


@bp.post("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    """Switch the interface language (vi / en)."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            from eoffice.core.uow import unit_of_work

            with unit_of_work():
                current_user.locale = code
    target = request.referrer or "/"
    safe = target.startswith(request.host_url) or (target.startswith("/")
                                                   and not target.startswith("//"))
    return redirect(target if safe else "/")


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    """Database and broker reachability, for load balancers and operators."""
    checks: dict[str, str] = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not healthy"
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = "ok"
    except Exception as exc:
        checks["broker"] = f"error: {type(exc).__name__}"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify({"status": "ok" if healthy else "error", "checks": checks}), (
        200 if healthy else 503
    )
