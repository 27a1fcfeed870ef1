"""API: tokens, the current user, the body directory, accounts."""

from __future__ import annotations

from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.schemas import (
    MeOut,
    OrgIn,
    OrgOut,
    OrgPatch,
    PageQuery,
    RetireIn,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
    UserPage,
)
from eoffice.auth import service as auth_service
from eoffice.auth.models import User
from eoffice.auth.views import login_failed, login_rate_limit
from eoffice.core.errors import Unauthorized
from eoffice.core.permissions import require
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db, limiter
from eoffice.orgs import queries as org_queries
from eoffice.orgs import service as org_service
from eoffice.orgs.models import Organization


def token_required(view: Any) -> Any:
    """401 unless a valid bearer token identified the caller."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            raise Unauthorized("Thiếu hoặc sai mã truy cập (Bearer token).")
        return view(*args, **kwargs)

    return wrapper


def page_args(query: dict[str, Any]) -> tuple[int, int]:
    """``(page, per_page)`` from a paged query, clamped to 1 ≤ page and 1 ≤ per_page ≤ 200."""
    return max(query["page"], 1), min(max(query["per_page"], 1), 200)


def org_out(org: Organization) -> dict[str, Any]:
    return {
        "code": org.code,
        "name": org.name,
        "short_name": org.short_name,
        "tier": org.tier_key,
        "parent_code": org.parent.code if org.parent else None,
        "locality": org.locality,
        "active": org.is_active,
        "valid_from": org.valid_from,
        "valid_to": org.valid_to,
    }


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "title": user.title,
        "org_code": user.org.code,
        "roles": user.roles,
        "active": user.active,
    }


@bp.post("/auth/token")
@limiter.limit(login_rate_limit, deduct_when=lambda response: login_failed())
@bp.input(TokenIn, arg_name="data")
@bp.output(TokenOut, status_code=201)
def create_token(data: dict[str, Any]) -> Any:
    """Exchange a username and password for a bearer token."""
    from flask import g

    try:
        with unit_of_work():
            user = auth_service.authenticate(data["username"], data["password"])
            secret, token = auth_service.issue_token(
                user, user, ttl=current_app.config["API_TOKEN_TTL"], name="api"
            )
            auth_service.record_login(user, via="api")
    except Unauthorized:
        g.login_failed = True
        raise
    return {"token": secret, "expires_at": token.expires_at}


@bp.delete("/auth/token")
@token_required
@bp.output({}, status_code=204)
def revoke_current_token() -> Any:
    """Revoke the token used for this call."""
    from flask import request

    secret = request.headers.get("Authorization", "")[7:].strip()
    with unit_of_work():
        token = auth_service.token_for_secret(secret)
        auth_service.revoke_token(current_user, token)
    return ""


@bp.get("/me")
@token_required
@bp.output(MeOut)
def me() -> Any:
    """Who the token belongs to."""
    return {
        "username": current_user.username,
        "full_name": current_user.full_name,
        "title": current_user.title,
        "org_code": current_user.org.code,
        "org_name": current_user.org.name,
        "unit": current_user.unit.name if current_user.unit else None,
        "roles": current_user.roles,
    }


@bp.get("/orgs")
@token_required
@bp.output(OrgOut(many=True))
def list_orgs() -> Any:
    """The directory of bodies: ``[{code, name, tier, parent_code}]``."""
    require(current_user, "orgs.view")
    return [org_out(o) for o in org_queries.list_bodies()]


@bp.post("/orgs")
@token_required
@bp.input(OrgIn, arg_name="data")
@bp.output(OrgOut, status_code=201)
def create_org(data: dict[str, Any]) -> Any:
    """Add a body or unit (admins, inside their subtree)."""
    with unit_of_work():
        parent = org_service.get_org_by_code(data["parent_code"]) if data["parent_code"] else None
        org = org_service.create_org(
            current_user, name=data["name"], short_name=data["short_name"], tier=data["tier"],
            parent=parent, code=data["code"], locality=data["locality"],
            valid_from=data["valid_from"],
        )
        result = org_out(org)
    return result


@bp.patch("/orgs/<code>")
@token_required
@bp.input(OrgPatch, arg_name="data")
@bp.output(OrgOut)
def update_org(code: str, data: dict[str, Any]) -> Any:
    """Edit a body's descriptive fields."""
    with unit_of_work():
        org = org_service.update_org(current_user, org_service.get_org_by_code(code), **data)
        result = org_out(org)
    return result


@bp.post("/orgs/<code>/retire")
@token_required
@bp.input(RetireIn, arg_name="data")
@bp.output(OrgOut)
def retire_org(code: str, data: dict[str, Any]) -> Any:
    """Retire a body from a date (it stays in history)."""
    with unit_of_work():
        org = org_service.retire_org(current_user, org_service.get_org_by_code(code),
                                     on=data["on"])
        result = org_out(org)
    return result


@bp.get("/users")
@token_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(UserPage)
def list_users(query: dict[str, Any]) -> Any:
    """Accounts the caller may see (their body; an admin's subtree)."""
    page, per_page = page_args(query)
    stmt = org_queries.visible_users_query(current_user)
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar()
    users = db.session.execute(
        stmt.order_by(User.username).limit(per_page).offset((page - 1) * per_page)
    ).scalars()
    return {"items": [user_out(u) for u in users], "total": total, "page": page,
            "per_page": per_page}


@bp.post("/users")
@token_required
@bp.input(UserIn, arg_name="data")
@bp.output(UserOut, status_code=201)
def create_user(data: dict[str, Any]) -> Any:
    """Create an account (admins, inside their subtree)."""
    with unit_of_work():
        org = org_service.get_org_by_code(data["org_code"])
        user = auth_service.create_user(
            current_user, username=data["username"], password=data["password"],
            full_name=data["full_name"], org=org, roles=data["roles"], title=data["title"],
            email=data["email"],
        )
        result = user_out(user)
    return result
