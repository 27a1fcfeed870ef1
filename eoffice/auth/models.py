"""Accounts.

``User``  belongs to one body (``org``) and optionally one unit inside it; holds
          one or more roles of DESIGN.md §1 (``UserRole`` rows). Passwords are
          hashed with argon2. A deactivated user cannot log in or use tokens.
``ApiToken``  bearer tokens for the API: only the SHA-256 of the secret is stored,
          each token expires and can be revoked.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import Base, TimestampMixin
from eoffice.orgs.models import Organization

ROLES = ("specialist", "head", "leader", "clerk", "admin")
ROLE_NAMES = {
    "specialist": "Chuyên viên",
    "head": "Lãnh đạo phòng/đơn vị",
    "leader": "Lãnh đạo cơ quan",
    "clerk": "Văn thư",
    "admin": "Quản trị",
}


class User(UserMixin, TimestampMixin, Base):
    """A person who uses the system."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    full_name: Mapped[str] = mapped_column(sa.String(100))
    title: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str] = mapped_column(sa.String(200), default="")
    identity_number: Mapped[str] = mapped_column(sa.String(20), default="")
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    signature_image: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str] = mapped_column(sa.String(5), default="vi")

    org: Mapped[Organization] = relationship(foreign_keys=[org_id], lazy="joined")
    unit: Mapped[Organization | None] = relationship(foreign_keys=[unit_id])
    role_rows: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    @property
    def roles(self) -> list[str]:
        """Role keys, in the order of ``ROLES``."""
        held = {r.role for r in self.role_rows}
        return [r for r in ROLES if r in held]

    def has_role(self, *roles: str) -> bool:
        """Whether the user holds any of ``roles``."""
        return any(r.role in roles for r in self.role_rows)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class UserRole(Base):
    """One role held by a user."""

    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), primary_key=True)
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    user: Mapped[User] = relationship(back_populates="role_rows")

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('specialist', 'head', 'leader', 'clerk', 'admin')", name="role"
        ),
    )


class ApiToken(Base):
    """A bearer token; the secret itself is never stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
