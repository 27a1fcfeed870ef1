"""Electronic copies (bản sao điện tử) a body made of a received document and forwarded
to the bodies below it.

``ForwardedCopy``  one sao y made by a body (a district) of one of its incoming
    documents: its number in the body's copy register (``Sổ bản sao văn bản``, kind
    ``copy``; its own yearly series, gapless like every register), notation
    ``SY-<body>`` (``03/SY-UBND``), the copy's own edXML ``DocumentId`` (the body's code,
    the copy date, the copy number), the original's ``DocumentId`` and the signed copy
    PDF (content-addressed). A copy is made and sent in ONE transaction; it has no
    states of its own: what happened to it at each receiver is the receivers' QCVN 102
    statuses (``interop.DeliveryStatus`` by the copy's ``DocumentId``).
``ForwardedCopyRecipient``  a body the copy was sent to (always a body directly below).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.auth.models import User
from eoffice.core.db import Base, utcnow
from eoffice.orgs.models import Organization

COPY_FORMS = ("SAO Y", "SAO LỤC", "TRÍCH SAO")
COPY_NOTATIONS = {"SAO Y": "SY", "SAO LỤC": "SL", "TRÍCH SAO": "TS"}


class ForwardedCopy(Base):
    """A sao y of an incoming document, numbered in the copy register and sent below."""

    __tablename__ = "tier_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    incoming_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_documents.id"),
                                             index=True)
    copy_form: Mapped[str] = mapped_column(sa.String(10), default="SAO Y")
    register_id: Mapped[int] = mapped_column(sa.ForeignKey("registers.id"))
    year: Mapped[int]
    number: Mapped[int]
    number_text: Mapped[str] = mapped_column(sa.String(11))
    notation: Mapped[str] = mapped_column(sa.String(30))
    copied_on: Mapped[date] = mapped_column(sa.Date)
    document_id: Mapped[str] = mapped_column(sa.String(200), unique=True)
    original_document_id: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    digest: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[Organization] = relationship()
    created_by: Mapped[User | None] = relationship()
    recipients: Mapped[list[ForwardedCopyRecipient]] = relationship(
        back_populates="copy", order_by="ForwardedCopyRecipient.org_code",
        cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("register_id", "year", "number"),
        sa.CheckConstraint("copy_form IN ('SAO Y', 'SAO LỤC', 'TRÍCH SAO')", name="copy_form"),
    )

    @property
    def code(self) -> str:
        """``03/SY-UBND``."""
        return f"{self.number_text}/{self.notation}"


class ForwardedCopyRecipient(Base):
    """A body below the copying body that the copy was sent to."""

    __tablename__ = "tier_copy_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    copy_id: Mapped[int] = mapped_column(sa.ForeignKey("tier_copies.id"), index=True)
    org_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    org_code: Mapped[str] = mapped_column(sa.String(35))
    org_name: Mapped[str] = mapped_column(sa.String(200))

    copy: Mapped[ForwardedCopy] = relationship(back_populates="recipients")

    __table_args__ = (sa.UniqueConstraint("copy_id", "org_id"),)
