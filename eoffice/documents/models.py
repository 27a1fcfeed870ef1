"""Shared document data.

``DocumentType``  the Decree 30 types (Phụ lục III) with their abbreviation; rows with
    ``org_id`` NULL are the national list, a body may add its own or hide one
    (``active``). Công văn has ``code='CV'`` and an empty abbreviation: its notation is
    issuer + drafting unit (``12/UBND-VP``).
``Register``  a sổ: per body and kind (``outgoing``, ``incoming``, ``copy``), either
    for all types or for one type (the head of the body chooses), confidential
    documents in their own register. Its numbers run per calendar year.
``RegisterCounter``  the last number given in a register for a year. Taking a number
    locks this row inside the issuing transaction (row lock on PostgreSQL, the database
    write lock on SQLite), so numbers are gapless and unique under concurrency, and a
    failed issue rolls its number back with everything else.
``StoredFile``  metadata of a blob in the content-addressed store (name, type, size).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.core.db import Base, utcnow
from eoffice.orgs.models import Organization

REGISTER_KINDS = ("outgoing", "incoming", "copy")


class DocumentType(Base):
    """A document type (loại văn bản) and its abbreviation in notations."""

    __tablename__ = "document_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    code: Mapped[str] = mapped_column(sa.String(10))
    abbreviation: Mapped[str] = mapped_column(sa.String(10), default="")
    name: Mapped[str] = mapped_column(sa.String(100))
    edxml_type: Mapped[int] = mapped_column(default=1)
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (sa.UniqueConstraint("org_id", "code"),)


class Register(Base):
    """A register (sổ văn bản) of a body."""

    __tablename__ = "registers"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(200))
    document_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document_types.id"))
    confidential: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship()
    document_type: Mapped[DocumentType | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('outgoing', 'incoming', 'copy')", name="kind"),
    )


class RegisterCounter(Base):
    """Last number given in a register in one calendar year."""

    __tablename__ = "register_counters"

    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)

    __table_args__ = (sa.CheckConstraint("last_number >= 0", name="non_negative"),)


class StoredFile(Base):
    """A file kept in the content-addressed store."""

    __tablename__ = "stored_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class SigningKey(Base):
    """A signer's certificate and PIN-protected PKCS#12 (in the file store).

    ``owner_kind='user'``: a leader's personal key, unlocked with the PIN they type each
    time they sign (the remote-signing model). ``owner_kind='org'``: a body's key, held
    by the installation and unlocked with the installation's body-key PIN.
    """

    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(sa.String(10))
    owner_id: Mapped[int] = mapped_column(index=True)
    p12_digest: Mapped[str] = mapped_column(sa.String(64))
    serial: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(500))
    not_after: Mapped[datetime]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("owner_kind IN ('user', 'org')", name="owner_kind"),
    )
