"""Outgoing documents (văn bản đi): the draft, its versions, review trail and register row.

``OutgoingDocument``  one document from the first draft to dispatch. ``status`` follows the
    state machine of :mod:`eoffice.outgoing.workflow`; the current PDF is
    ``current_digest`` in the content-addressed store and every earlier PDF stays in
    ``OutgoingVersion``. Number, notation and issue date are set only by the issuing
    transaction, together with the ``OutgoingRegisterEntry`` (sổ đăng ký văn bản đi).
``OutgoingRecipient``  one addressee (a body of this installation or an external body of
    the hub directory) by organisation code; delivery statuses are read from interop.
    An update (BussinessDocType 2) that removes a body keeps its row with ``removed_at``
    (the history stays); a body added later has ``added_at``. ``takeback`` follows the
    clerk's take-back request: ``requested`` (13 sent), then ``accepted`` (15) or
    ``refused`` (16) as the body answered.
``OutgoingAttachment``  a separate-file attachment; sealed by the clerk at issue time.
``OutgoingEvent``  the review/history trail: who did which step, with the comment.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.auth.models import User
from eoffice.core.db import Base, utcnow
from eoffice.documents.models import DocumentType, Register
from eoffice.orgs.models import Organization

STATUSES = ("draft", "in_review", "returned", "approved", "signed", "issued", "sent",
            "revoked", "replaced")
URGENCIES = ("", "khan", "thuong_khan", "hoa_toc")
CONFIDENTIALITIES = ("", "mat", "toi_mat", "tuyet_mat")
AUTHORITIES = ("", "TM.", "KT.", "TL.", "TUQ.", "Q.")
TAKEBACK_STATES = ("", "requested", "accepted", "refused")


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


class OutgoingDocument(Base):
    """An outgoing document of a body."""

    __tablename__ = "outgoing_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    signer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    document_type_id: Mapped[int] = mapped_column(sa.ForeignKey("document_types.id"))
    subject: Mapped[str] = mapped_column(sa.String(500))
    urgency: Mapped[str] = mapped_column(sa.String(12), default="")
    confidentiality: Mapped[str] = mapped_column(sa.String(12), default="")
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    response_for: Mapped[str] = mapped_column(sa.String(200), default="")
    authority: Mapped[str] = mapped_column(sa.String(5), default="")
    source: Mapped[str] = mapped_column(sa.String(10), default="upload")
    body_text: Mapped[str] = mapped_column(sa.Text, default="")
    layout_json: Mapped[str] = mapped_column(sa.Text, default="")
    layout_detected: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    review_stage: Mapped[str] = mapped_column(sa.String(10), default="")
    current_digest: Mapped[str] = mapped_column(sa.String(64))
    external_handle_digest: Mapped[str | None] = mapped_column(sa.String(64))
    signed_at: Mapped[datetime | None]
    register_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registers.id"))
    number: Mapped[int | None]
    number_text: Mapped[str] = mapped_column(sa.String(11), default="")
    notation: Mapped[str] = mapped_column(sa.String(30), default="")
    issued_at: Mapped[datetime | None]
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    document_id: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    replaced_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outgoing_documents.id"),
                                                       index=True)
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    org: Mapped[Organization] = relationship(foreign_keys=[org_id])
    unit: Mapped[Organization | None] = relationship(foreign_keys=[unit_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    signer: Mapped[User] = relationship(foreign_keys=[signer_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    document_type: Mapped[DocumentType] = relationship()
    register: Mapped[Register | None] = relationship()
    replaced_by: Mapped[OutgoingDocument | None] = relationship(remote_side="OutgoingDocument.id")
    recipients: Mapped[list[OutgoingRecipient]] = relationship(
        cascade="all, delete-orphan", order_by="OutgoingRecipient.id", back_populates="document")
    attachments: Mapped[list[OutgoingAttachment]] = relationship(
        cascade="all, delete-orphan", order_by="OutgoingAttachment.id", back_populates="document")
    versions: Mapped[list[OutgoingVersion]] = relationship(
        cascade="all, delete-orphan", order_by="OutgoingVersion.seq", back_populates="document")
    events: Mapped[list[OutgoingEvent]] = relationship(
        cascade="all, delete-orphan", order_by="OutgoingEvent.id", back_populates="document")

    __table_args__ = (
        # the lists: issued documents newest first (read backwards), drafts by state
        sa.Index("ix_outgoing_documents_org_issued", "org_id", "issued_at", "id"),
        sa.Index("ix_outgoing_documents_org_status", "org_id", "status", "updated_at"),
        sa.CheckConstraint(f"status IN ({_in(STATUSES)})", name="status"),
        sa.CheckConstraint(f"urgency IN ({_in(URGENCIES)})", name="urgency"),
        sa.CheckConstraint(f"confidentiality IN ({_in(CONFIDENTIALITIES)})",
                           name="confidentiality"),
        sa.CheckConstraint("(number IS NULL) = (issued_at IS NULL)", name="numbered_when_issued"),
    )

    @property
    def is_confidential(self) -> bool:
        """Mật, tối mật or tuyệt mật."""
        return bool(self.confidentiality)

    @property
    def code(self) -> str:
        """``05/CT-UBND`` once issued, else empty."""
        return f"{self.number_text}/{self.notation}" if self.number_text else ""


class OutgoingRecipient(Base):
    """An addressee of an outgoing document, by organisation code."""

    __tablename__ = "outgoing_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_documents.id"), index=True)
    org_code: Mapped[str] = mapped_column(sa.String(35))
    org_name: Mapped[str] = mapped_column(sa.String(200), default="")
    internal: Mapped[bool] = mapped_column(default=True)
    # an update (BussinessDocType 2) removed the body from the recipients / added it later
    removed_at: Mapped[datetime | None]
    added_at: Mapped[datetime | None]
    # the clerk's take-back request (status 13) and the body's answer (15 / 16)
    takeback: Mapped[str] = mapped_column(sa.String(10), default="")
    takeback_reason: Mapped[str] = mapped_column(sa.Text, default="")
    takeback_answer: Mapped[str] = mapped_column(sa.Text, default="")

    document: Mapped[OutgoingDocument] = relationship(back_populates="recipients")

    @property
    def active(self) -> bool:
        """Still an addressee (not removed by an update)."""
        return self.removed_at is None

    __table_args__ = (
        sa.UniqueConstraint("document_id", "org_code"),
        sa.CheckConstraint(f"takeback IN ({_in(TAKEBACK_STATES)})", name="takeback"),
    )


class OutgoingAttachment(Base):
    """A separate-file attachment (PDF) of an outgoing document."""

    __tablename__ = "outgoing_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_documents.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    digest: Mapped[str] = mapped_column(sa.String(64))
    sealed_digest: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[OutgoingDocument] = relationship(back_populates="attachments")


class OutgoingVersion(Base):
    """One PDF version of a document (never deleted)."""

    __tablename__ = "outgoing_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_documents.id"), index=True)
    seq: Mapped[int]
    digest: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.String(30))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[OutgoingDocument] = relationship(back_populates="versions")
    actor: Mapped[User | None] = relationship()

    __table_args__ = (sa.UniqueConstraint("document_id", "seq"),)


class OutgoingEvent(Base):
    """A step of the document's history (submit, approve, return with comment, sign…)."""

    __tablename__ = "outgoing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_documents.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(20))
    from_status: Mapped[str] = mapped_column(sa.String(12), default="")
    to_status: Mapped[str] = mapped_column(sa.String(12), default="")
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(sa.String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[OutgoingDocument] = relationship(back_populates="events")


class OutgoingRegisterEntry(Base):
    """A row of the outgoing register (Phụ lục IV, sổ đăng ký văn bản đi)."""

    __tablename__ = "outgoing_register_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id"), index=True)
    year: Mapped[int]
    number: Mapped[int]
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("outgoing_documents.id"), unique=True)
    code: Mapped[str] = mapped_column(sa.String(50))
    issued_on: Mapped[date] = mapped_column(sa.Date)
    type_and_subject: Mapped[str] = mapped_column(sa.Text)
    signer_name: Mapped[str] = mapped_column(sa.String(100))
    recipients: Mapped[str] = mapped_column(sa.Text, default="")
    keeper: Mapped[str] = mapped_column(sa.String(200), default="")
    copies: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("register_id", "year", "number"),)
