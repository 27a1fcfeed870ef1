"""Accounts, passwords and API tokens."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eoffice.audit import service as audit
from eoffice.auth import policy as _policy  # noqa: F401  (declares the users.* rules)
from eoffice.auth.models import ROLES, ApiToken, User, UserRole
from eoffice.core.db import utcnow
from eoffice.core.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from eoffice.core.permissions import require
from eoffice.extensions import db
from eoffice.orgs.models import Organization

_hasher = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 8
BAD_CREDENTIALS = "Tên đăng nhập hoặc mật khẩu không đúng."
TOKEN_PREFIX = "eo_"  # noqa: S105 (a public prefix, not a secret)


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def _check_password(user: User, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# A hash to verify against when the user does not exist, so that the time taken
# does not tell whether a username is valid.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def get_user(user_id: int) -> User:
    """Load a user by id."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


def find_user(username: str) -> User | None:
    """The user with this username, if any."""
    return db.session.execute(
        sa.select(User).where(User.username == (username or "").strip().lower())
    ).scalar_one_or_none()


def authenticate(username: str, password: str) -> User:
    """Check credentials; one message whichever part was wrong."""
    user = find_user(username)
    if user is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        raise Unauthorized(BAD_CREDENTIALS)
    if not _check_password(user, password or "") or not user.active:
        raise Unauthorized(BAD_CREDENTIALS)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def record_login(user: User, *, via: str) -> None:
    """Audit a successful sign-in."""
    audit.record(user, "auth.login", user, details={"via": via})


def _validate_roles(roles: list[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    bad = [r for r in roles if r not in ROLES]
    if bad:
        raise ValidationFailed("Vai trò không hợp lệ: %(roles)s.", params={"roles": ", ".join(bad)},
                               details={"field": "roles"})
    if not roles:
        raise ValidationFailed("Người dùng phải có ít nhất một vai trò.",
                               details={"field": "roles"})
    return roles


def _validate_unit(org: Organization, unit: Organization | None) -> None:
    if unit is not None and (unit.tier_key != "unit" or unit.parent_id != org.id):
        raise ValidationFailed("Đơn vị không thuộc cơ quan đã chọn.", details={"field": "unit"})


def create_user(
    actor: Any,
    *,
    username: str,
    password: str,
    full_name: str,
    org: Organization,
    roles: list[str],
    title: str = "",
    email: str = "",
    unit: Organization | None = None,
    identity_number: str = "",
) -> User:
    """Create an account in ``org``."""
    require(actor, "users.manage", org)
    username = (username or "").strip().lower()
    if not _USERNAME.match(username):
        raise ValidationFailed(
            "Tên đăng nhập chỉ gồm chữ thường không dấu, số, dấu chấm, gạch (3–64 ký tự).",
            details={"field": "username"},
        )
    if not (full_name or "").strip():
        raise ValidationFailed("Họ và tên không được để trống.", details={"field": "full_name"})
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed("Mật khẩu phải có ít nhất %(count)d ký tự.",
                               params={"count": MIN_PASSWORD}, details={"field": "password"})
    if not org.is_body:
        raise ValidationFailed("Người dùng phải thuộc một cơ quan.", details={"field": "org"})
    _validate_unit(org, unit)
    roles = _validate_roles(roles)
    if find_user(username) is not None:
        raise Conflict("Tên đăng nhập “%(username)s” đã tồn tại.", params={"username": username},
                       details={"field": "username"})
    user = User(
        username=username,
        password_hash=hash_password(password),
        full_name=full_name.strip(),
        title=title.strip(),
        email=email.strip(),
        org=org,
        unit=unit,
        identity_number=identity_number.strip(),
        role_rows=[UserRole(role=r) for r in roles],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "user.create", user, details={"username": username, "roles": roles},
                 org_id=org.id)
    return user


def update_user(
    actor: Any,
    user: User,
    *,
    full_name: str | None = None,
    title: str | None = None,
    email: str | None = None,
    roles: list[str] | None = None,
    unit: Organization | None = None,
    active: bool | None = None,
) -> User:
    """Edit an account's profile, roles, unit or active flag."""
    require(actor, "users.manage", user)
    changes: dict[str, Any] = {}
    if full_name is not None:
        if not full_name.strip():
            raise ValidationFailed("Họ và tên không được để trống.", details={"field": "full_name"})
        user.full_name = changes["full_name"] = full_name.strip()
    if title is not None:
        user.title = changes["title"] = title.strip()
    if email is not None:
        user.email = changes["email"] = email.strip()
    if unit is not None:
        _validate_unit(user.org, unit)
        user.unit = unit
        changes["unit_id"] = unit.id if unit else None
    if roles is not None:
        roles = _validate_roles(roles)
        if user.id == getattr(actor, "id", None) and "admin" in user.roles and "admin" not in roles:
            raise Conflict("Không thể tự bỏ vai trò quản trị của chính mình.")
        user.role_rows = [UserRole(role=r) for r in roles]
        changes["roles"] = roles
    if active is not None:
        if user.id == getattr(actor, "id", None) and not active:
            raise Conflict("Không thể tự khóa tài khoản của chính mình.")
        user.active = changes["active"] = active
    db.session.flush()
    audit.record(actor, "user.update", user, details=changes, org_id=user.org_id)
    return user


def set_password(actor: Any, user: User, password: str) -> None:
    """Set a new password (the user themself or an admin)."""
    if getattr(actor, "id", None) != user.id:
        require(actor, "users.manage", user)
    if len(password or "") < MIN_PASSWORD:
        raise ValidationFailed("Mật khẩu phải có ít nhất %(count)d ký tự.",
                               params={"count": MIN_PASSWORD}, details={"field": "password"})
    user.password_hash = hash_password(password)
    db.session.flush()
    audit.record(actor, "user.password", user, org_id=user.org_id)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(actor: Any, user: User, *, ttl: timedelta, name: str = "") -> tuple[str, ApiToken]:
    """Create a bearer token for ``user``; the secret is returned once, never stored."""
    if getattr(actor, "id", None) != user.id:
        require(actor, "users.manage", user)
    if not user.active:
        raise Unauthorized(BAD_CREDENTIALS)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(user=user, token_hash=_token_hash(secret), prefix=secret[:10], name=name,
                     created_at=now, expires_at=now + ttl)
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "token.create", token,
                 details={"user": user.username, "expires_at": token.expires_at.isoformat()},
                 org_id=user.org_id)
    return secret, token


def revoke_token(actor: Any, token: ApiToken) -> None:
    """Revoke a token at once."""
    require(actor, "tokens.manage", token)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
        audit.record(actor, "token.revoke", token, org_id=token.user.org_id)


def token_for_secret(secret: str) -> ApiToken | None:
    """The token row for a presented secret, if it exists."""
    return db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(secret))
    ).scalar_one_or_none()


def user_for_token(secret: str, *, now: datetime | None = None) -> User | None:
    """The active user a valid, unexpired, unrevoked token belongs to."""
    if not secret or not secret.startswith(TOKEN_PREFIX):
        return None
    token = token_for_secret(secret)
    now = now or utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        return None
    if not token.user.active:
        return None
    return token.user
