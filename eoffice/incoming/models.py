"""Incoming documents (văn bản đến) of a body.

``IncomingDocument``  one document a body received, electronically (an edXML packet
    from the hub) or on paper (a scan keyed in by the clerk). Its life::

        received ──register (03)──▶ accepted ──assign (04)──▶ assigned
           │                                                     │ first progress (05)
           └──refuse (02)──▶ refused                             ▼
                                                   processing ──complete (06)──▶ completed

    Any state before ``completed``/``refused`` may also end ``revoked`` (the issuer
    revoked it), ``replaced`` (the issuer sent a replacement) or ``withdrawn`` (the
    clerk accepted the issuer's take-back request, status 15). Those three freeze it.
    ``incoming_number`` (số đến) comes from the body's incoming register, one yearly
    sequence shared by electronic and paper documents.
    An electronic copy (sao y) forwarded by a higher body keeps that body as the issuer
    (it sent the packet, numbered the copy and receives the statuses) and the original
    document it reproduces in ``copy_of`` (JSON: ``copy_form``, ``organ_id``,
    ``organ_name``, ``code``, ``promulgation_date``, ``document_id``; empty otherwise).
    ``confidentiality`` (``""`` thường, ``mat``, ``toi_mat``, ``tuyet_mat``) is keyed in
    for paper documents; a confidential document is never copied electronically.
``IncomingFile``  a PDF of the document (the signed originals, the paper scan) or a
    file added while processing; received PDFs carry their validation report
    (DESIGN.md §6 shape), computed on arrival.
``IncomingAssignment``  who handles it: ``lead`` (chủ trì), ``cooperate`` (phối hợp),
    ``inform`` (để biết) — a unit or a person of the same body, each with a deadline;
    a unit head re-assigns inside the unit (``parent_id``).
``IncomingNote``  progress notes, with an optional file, and the final result.
``IncomingReminder``  one row per (assignment, kind) once a reminder or escalation was
    sent, so the beat task never sends one twice.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.auth.models import User
from eoffice.core.db import Base, utcnow
from eoffice.orgs.models import Organization

STATUSES = ("received", "refused", "accepted", "assigned", "processing", "completed",
            "revoked", "replaced", "withdrawn")
# QCVN 102 status code sent back to the issuer on entering each state.
STATUS_CODES = {"received": "01", "refused": "02", "accepted": "03", "assigned": "04",
                "processing": "05", "completed": "06"}
STATUS_NAMES = {
    "received": "Mới đến, chờ vào sổ",
    "refused": "Đã từ chối",
    "accepted": "Đã vào sổ, chờ phân công",
    "assigned": "Đã phân công",
    "processing": "Đang xử lý",
    "completed": "Đã hoàn thành",
    "revoked": "Đã bị thu hồi",
    "replaced": "Đã được thay thế",
    "withdrawn": "Cơ quan gửi đã lấy lại",
}
FROZEN = ("refused", "completed", "revoked", "replaced", "withdrawn")
PRIORITY_NAMES = {0: "Thường", 1: "Khẩn", 2: "Thượng khẩn", 3: "Hỏa tốc"}
ROLES = ("lead", "cooperate", "inform")
ROLE_NAMES = {"lead": "Chủ trì", "cooperate": "Phối hợp", "inform": "Để biết"}
TIMELINESS = ("early", "on_time", "late")
TIMELINESS_NAMES = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Trễ hạn"}


class IncomingDocument(Base):
    """A document received by a body."""

    __tablename__ = "incoming_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    source: Mapped[str] = mapped_column(sa.String(10), default="electronic")
    status: Mapped[str] = mapped_column(sa.String(12), default="received", index=True)
    # edXML header (Phụ lục VI, Mục II)
    document_id: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    inbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("interop_inbox.id"))
    issuer_code: Mapped[str] = mapped_column(sa.String(35), default="")
    issuer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    number: Mapped[str] = mapped_column(sa.String(11), default="")
    notation: Mapped[str] = mapped_column(sa.String(30), default="")
    issued_date: Mapped[date | None] = mapped_column(sa.Date)
    type_name: Mapped[str] = mapped_column(sa.String(100), default="")
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    signer_name: Mapped[str] = mapped_column(sa.String(100), default="")
    signer_position: Mapped[str] = mapped_column(sa.String(100), default="")
    priority: Mapped[int] = mapped_column(default=0)
    sender_due_date: Mapped[date | None] = mapped_column(sa.Date)
    response_for: Mapped[str] = mapped_column(sa.Text, default="[]")
    business_doc_type: Mapped[int] = mapped_column(default=0)
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    # receipt and checks
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    packet_signature_valid: Mapped[bool | None]
    packet_signature_note: Mapped[str] = mapped_column(sa.Text, default="")
    wrong_recipient: Mapped[bool] = mapped_column(default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incoming_documents.id"))
    replaces_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incoming_documents.id"),
                                                    index=True)
    # register
    register_id: Mapped[int | None] = mapped_column(sa.ForeignKey("registers.id"))
    incoming_number: Mapped[int | None]
    incoming_year: Mapped[int | None]
    arrival_date: Mapped[date | None] = mapped_column(sa.Date)
    registered_at: Mapped[datetime | None]
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    refuse_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # direction and processing
    directive: Mapped[str] = mapped_column(sa.Text, default="")
    directed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    directed_at: Mapped[datetime | None]
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    result: Mapped[str] = mapped_column(sa.Text, default="")
    completed_at: Mapped[datetime | None]
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    timeliness: Mapped[str | None] = mapped_column(sa.String(10))
    # issuer's take-back request (status 13) waiting for the clerk's answer (15/16)
    takeback_reason: Mapped[str | None] = mapped_column(sa.Text)
    closed_note: Mapped[str] = mapped_column(sa.Text, default="")
    # an electronic copy: the original it reproduces (JSON, see the module docstring)
    copy_of: Mapped[str] = mapped_column(sa.Text, default="")
    confidentiality: Mapped[str] = mapped_column(sa.String(10), default="")

    org: Mapped[Organization] = relationship()
    files: Mapped[list[IncomingFile]] = relationship(
        back_populates="document", order_by="IncomingFile.id", cascade="all, delete-orphan")
    assignments: Mapped[list[IncomingAssignment]] = relationship(
        back_populates="document", order_by="IncomingAssignment.id",
        cascade="all, delete-orphan")
    notes: Mapped[list[IncomingNote]] = relationship(
        back_populates="document", order_by="IncomingNote.id", cascade="all, delete-orphan")
    duplicate_of: Mapped[IncomingDocument | None] = relationship(
        remote_side="IncomingDocument.id", foreign_keys=[duplicate_of_id],
        post_update=True)
    replaces: Mapped[IncomingDocument | None] = relationship(
        remote_side="IncomingDocument.id", foreign_keys=[replaces_id],
        post_update=True)
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    directed_by: Mapped[User | None] = relationship(foreign_keys=[directed_by_id])
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])

    __table_args__ = (
        # the lists: a body's documents, most urgent then newest first (read backwards),
        # all of them or one state (bench/scale_bench.py)
        sa.Index("ix_incoming_documents_org_list", "org_id", "priority", "received_at", "id"),
        sa.Index("ix_incoming_documents_org_status_list", "org_id", "status", "priority",
                 "received_at", "id"),
        sa.UniqueConstraint("register_id", "incoming_year", "incoming_number"),
        sa.CheckConstraint(
            "status IN ('received', 'refused', 'accepted', 'assigned', 'processing', "
            "'completed', 'revoked', 'replaced', 'withdrawn')", name="status"),
        sa.CheckConstraint("source IN ('electronic', 'paper')", name="source"),
        sa.CheckConstraint("priority BETWEEN 0 AND 3", name="priority"),
        sa.CheckConstraint("timeliness IS NULL OR timeliness IN ('early', 'on_time', 'late')",
                           name="timeliness"),
    )

    @property
    def code(self) -> str:
        """``05/CT-UBND`` (number and notation)."""
        return "/".join(filter(None, [self.number, self.notation]))

    @property
    def original(self) -> dict[str, str] | None:
        """For an electronic copy, the original document it reproduces."""
        return json.loads(self.copy_of) if self.copy_of else None

    @property
    def is_urgent(self) -> bool:
        """Khẩn and above (QĐ 28/2018: processed right after receipt)."""
        return self.priority >= 1

    @property
    def main_file(self) -> IncomingFile | None:
        """The first document PDF."""
        return next((f for f in self.files if f.kind == "document"), None)

    @property
    def verification_ok(self) -> bool | None:
        """All received PDFs valid and trusted (``None`` for paper documents)."""
        reports = [f.valid for f in self.files if f.kind == "document"]
        if self.source == "paper" or not reports:
            return None
        return all(reports) and self.packet_signature_valid is not False \
            and not self.wrong_recipient


class IncomingFile(Base):
    """A file of an incoming document (received PDF, scan, or processing attachment)."""

    __tablename__ = "incoming_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_documents.id"),
                                             index=True)
    kind: Mapped[str] = mapped_column(sa.String(10), default="document")
    name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100), default="application/pdf")
    digest: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(default=0)
    report: Mapped[str | None] = mapped_column(sa.Text)
    valid: Mapped[bool | None]
    verdict: Mapped[str] = mapped_column(sa.Text, default="")
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[IncomingDocument] = relationship(back_populates="files")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('document', 'note')", name="kind"),
    )


class IncomingAssignment(Base):
    """One handler of an incoming document: a unit or a person, with a role and deadline."""

    __tablename__ = "incoming_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_documents.id"),
                                             index=True)
    role: Mapped[str] = mapped_column(sa.String(10))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incoming_assignments.id"))
    deadline: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    active: Mapped[bool] = mapped_column(default=True)
    done_at: Mapped[datetime | None]

    document: Mapped[IncomingDocument] = relationship(back_populates="assignments")
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])
    unit: Mapped[Organization | None] = relationship(foreign_keys=[unit_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])

    __table_args__ = (
        sa.CheckConstraint("role IN ('lead', 'cooperate', 'inform')", name="role"),
        sa.CheckConstraint("user_id IS NOT NULL OR unit_id IS NOT NULL", name="target"),
    )

    @property
    def target_name(self) -> str:
        """The person's or unit's name."""
        if self.user is not None:
            return self.user.full_name
        return self.unit.name if self.unit is not None else ""


class IncomingNote(Base):
    """A progress note, an added file, or the final result."""

    __tablename__ = "incoming_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_documents.id"),
                                             index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(sa.String(10), default="progress")
    text: Mapped[str] = mapped_column(sa.Text, default="")
    file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("incoming_files.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    document: Mapped[IncomingDocument] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()
    file: Mapped[IncomingFile | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('progress', 'result', 'system')", name="kind"),
    )


class IncomingReminder(Base):
    """A reminder or escalation already sent for an assignment (idempotent beat task)."""

    __tablename__ = "incoming_reminders"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_assignments.id"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "kind"),
        sa.CheckConstraint("kind IN ('reminder', 'overdue')", name="kind"),
    )
