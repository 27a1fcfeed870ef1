"""Tables of the simulated interconnection hub (all prefixed ``hub_``).

The hub is its own application with its own declarative base, so that it can run as a
separate process with a separate database (production) or share eoffice's database file
(zero-setup) without either side's metadata knowing about the other.

Storage choices:

- Packet bytes live in the database (``LargeBinary``). A packet is written once and read a
  handful of times (once per recipient, plus retries), the hub must never lose a stored
  packet, and one store keeps "packet row + its deliveries" a single atomic commit — a file
  store would need a two-phase write and orphan clean-up for the same guarantee. Packets are
  bounded by ``HUB_MAX_PACKET_BYTES`` and old acknowledged ones are purged by retention. On
  PostgreSQL the column is stored uncompressed (``STORAGE EXTERNAL``, hub migration 0002):
  base64 does not compress, and trying cost more CPU than the rest of the insert.
- One :class:`Delivery` row per (packet, recipient body): the hub-level state machine
  ``pending → done | fail`` (the receiver's ``updateStatus``) and, for document packets,
  the latest QCVN 102 status code the receiver sent back (what ``getSentEdocList`` shows).
- :class:`SeenSignature` remembers each accepted request signature for the clock-skew
  window so that a captured request cannot be replayed inside it.
- :class:`RequestLog` is the traffic log the admin page summarises.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored in UTC (SQLite returns naive values: re-attach UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class HubBase(DeclarativeBase):
    """Declarative base of the hub's own tables."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class MessageType(enum.StrEnum):
    """``messagetype`` of a packet: a document or a QCVN 102 status packet."""

    edoc = "edoc"
    status = "status"


class DeliveryStatus(enum.StrEnum):
    """Hub-level acknowledgement of one delivery (the receiver's ``updateStatus``)."""

    pending = "pending"
    done = "done"
    fail = "fail"


class System(HubBase):
    """A connected system (one e-office installation) with its HMAC secret."""

    __tablename__ = "hub_systems"

    id: Mapped[int] = mapped_column(primary_key=True)
    systemid: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Kept in clear: the hub must recompute the HMAC of every request.
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agencies: Mapped[list[Agency]] = relationship(back_populates="system")


class Agency(HubBase):
    """A body in the hub's directory, identified by its QCVN 102 organisation code."""

    __tablename__ = "hub_agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(35), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_code: Mapped[str | None] = mapped_column(String(35))
    system_id: Mapped[int | None] = mapped_column(ForeignKey("hub_systems.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    system: Mapped[System | None] = relationship(back_populates="agencies")


class Packet(HubBase):
    """One stored edXML packet (with the hub's TraceHeader appended), stored exactly once."""

    __tablename__ = "hub_packets"
    __table_args__ = (
        # Idempotent send: same sender, kind, DocumentId and received bytes = same packet.
        UniqueConstraint(
            "from_code",
            "message_type",
            "document_id",
            "content_sha256",
            name="uq_hub_packets_identity",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_id: Mapped[str] = mapped_column(String(40), unique=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("hub_systems.id"), index=True)
    from_code: Mapped[str] = mapped_column(String(35), index=True)
    message_type: Mapped[MessageType] = mapped_column(
        Enum(MessageType, name="hub_message_type", native_enum=False, length=10)
    )
    # For a status packet: the DocumentId of the document it answers (ResponseFor).
    document_id: Mapped[str] = mapped_column(String(300), index=True)
    status_code: Mapped[str | None] = mapped_column(String(2))
    subject: Mapped[str] = mapped_column(Text, default="")
    content_sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    system: Mapped[System] = relationship()
    deliveries: Mapped[list[Delivery]] = relationship(
        back_populates="packet", cascade="all, delete-orphan", order_by="Delivery.id"
    )


class Delivery(HubBase):
    """A packet's delivery to one recipient body, listed to it until acknowledged."""

    __tablename__ = "hub_deliveries"
    __table_args__ = (UniqueConstraint("packet_id", "recipient_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    packet_id: Mapped[int] = mapped_column(
        ForeignKey("hub_packets.id", ondelete="CASCADE"), index=True
    )
    recipient_code: Mapped[str] = mapped_column(String(35), index=True)
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, name="hub_delivery_status", native_enum=False, length=10),
        default=DeliveryStatus.pending,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    acked_at: Mapped[datetime | None]
    # Latest QCVN 102 status code (01..06, 13, 15, 16) the recipient sent back for this
    # document, with the status packet's own timestamp (or its arrival when it has none).
    receive_status: Mapped[str | None] = mapped_column(String(2))
    receive_status_desc: Mapped[str | None] = mapped_column(Text)
    receive_status_at: Mapped[datetime | None]

    packet: Mapped[Packet] = relationship(back_populates="deliveries")


class SeenSignature(HubBase):
    """A request signature already accepted (replay protection within the skew window)."""

    __tablename__ = "hub_seen_signatures"

    systemid: Mapped[str] = mapped_column(String(64), primary_key=True)
    signature: Mapped[str] = mapped_column(String(64), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RequestLog(HubBase):
    """One API request answered by the hub (the traffic shown on the admin page)."""

    __tablename__ = "hub_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    systemid: Mapped[str | None] = mapped_column(String(64))
    endpoint: Mapped[str] = mapped_column(String(40))
    http_status: Mapped[int] = mapped_column(Integer)
    error_code: Mapped[str] = mapped_column(String(4), default="0")
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
