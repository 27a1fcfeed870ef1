"""The installation's side of the interconnection.

``OutboxMessage``  a packet to send, written in the SAME transaction as the state
    change that sends it (transactional outbox). States::

        pending ──send ok──▶ sent
           │  └─hub unavailable─▶ pending (attempts+1, next_attempt_at = now + backoff)
           └─refused by the hub, or attempts exhausted──▶ dead   (clerk sees the reason)
        dead ──resend (clerk)──▶ pending

    The hub answers a repeated send of the same bytes with the same DocId, so a retry
    after a lost response is safe (at-least-once delivery, idempotent at the hub).
``InboxMessage``  every packet fetched from the hub, once per (hub docId, recipient
    body): the receipt log that makes receiving idempotent. A packet listed again
    (our acknowledgement was lost) is recognised and only acknowledged again. An edoc
    whose edXML DocumentId was already received by the same body is kept as
    ``duplicate`` and never handed on twice.
``DeliveryStatus``  per sent document and recipient body, the latest QCVN 102 status
    (01…06, 13, 15, 16) reported back, with ``StatusEvent`` rows as its history.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from eoffice.core.db import Base, utcnow

OUTBOX_STATES = ("pending", "sent", "dead")
INBOX_STATES = ("received", "processed", "duplicate", "failed")


class OutboxMessage(Base):
    """A packet waiting to be (or already) handed to the hub."""

    __tablename__ = "interop_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_type: Mapped[str] = mapped_column(sa.String(10))
    from_code: Mapped[str] = mapped_column(sa.String(35), index=True)
    to_codes: Mapped[str] = mapped_column(sa.Text, default="")
    document_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    status_code: Mapped[str] = mapped_column(sa.String(2), default="")
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    packet_digest: Mapped[str] = mapped_column(sa.String(64))
    packet_size: Mapped[int] = mapped_column(default=0)
    source_type: Mapped[str] = mapped_column(sa.String(40), default="")
    source_id: Mapped[int | None]
    state: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    hub_doc_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        # the packets of one outgoing document (its recipients' delivery view)
        sa.Index("ix_interop_outbox_source", "source_type", "source_id"),
        sa.CheckConstraint("state IN ('pending', 'sent', 'dead')", name="state"),
        sa.CheckConstraint("message_type IN ('edoc', 'status')", name="message_type"),
    )


class InboxMessage(Base):
    """A packet received from the hub for one of our bodies."""

    __tablename__ = "interop_inbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_doc_id: Mapped[str] = mapped_column(sa.String(64))
    to_code: Mapped[str] = mapped_column(sa.String(35), index=True)
    message_type: Mapped[str] = mapped_column(sa.String(10))
    from_code: Mapped[str] = mapped_column(sa.String(35), default="")
    document_id: Mapped[str] = mapped_column(sa.String(200), default="", index=True)
    status_code: Mapped[str] = mapped_column(sa.String(2), default="")
    subject: Mapped[str] = mapped_column(sa.String(500), default="")
    packet_digest: Mapped[str | None] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10), default="received")
    error: Mapped[str] = mapped_column(sa.Text, default="")
    signature_valid: Mapped[bool | None]
    signature_note: Mapped[str] = mapped_column(sa.Text, default="")
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("hub_doc_id", "to_code"),
        sa.CheckConstraint("state IN ('received', 'processed', 'duplicate', 'failed')",
                           name="state"),
    )


class DeliveryStatus(Base):
    """The latest status a recipient reported for a document we sent."""

    __tablename__ = "interop_delivery_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(sa.String(200))
    recipient_code: Mapped[str] = mapped_column(sa.String(35))
    status_code: Mapped[str] = mapped_column(sa.String(2), default="")
    description: Mapped[str] = mapped_column(sa.Text, default="")
    reported_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("document_id", "recipient_code"),)


class StatusEvent(Base):
    """One status report received (the history behind ``DeliveryStatus``)."""

    __tablename__ = "interop_status_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[str] = mapped_column(sa.String(200), index=True)
    recipient_code: Mapped[str] = mapped_column(sa.String(35))
    status_code: Mapped[str] = mapped_column(sa.String(2))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    staff: Mapped[str] = mapped_column(sa.String(200), default="")
    reported_at: Mapped[datetime | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    inbox_id: Mapped[int] = mapped_column(sa.ForeignKey("interop_inbox.id"), unique=True)
