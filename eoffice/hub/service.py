"""The hub's operations: the directory, sending, listing, fetching and acknowledging packets.

Every state change of the hub happens here; views and the CLI parse their input, open one
transaction, call one function and answer. Functions take the calling :class:`System`
explicitly (already authenticated by :mod:`eoffice.hub.auth`) and only ``flush()``.

Delivery model (at-least-once, never lost, never twice):

- ``sendEdoc`` validates everything first — the sending body is owned by the caller,
  the packet parses and is conformant, every recipient is in the directory, every
  attachment is a PDF (or a zip when ``HUB_ALLOW_ZIP``) within ``HUB_MAX_ATTACHMENT_BYTES``
  — and only then stores the packet (with the hub's TraceHeader appended) and one
  :class:`Delivery` per recipient, in one transaction: a refused packet leaves nothing.
- Sending the same bytes again (same sender, kind, DocumentId and SHA-256 of the body as
  received) returns the first DocId and stores nothing: a client may retry after a lost
  response. The packet row is written with ``INSERT … ON CONFLICT DO NOTHING`` on that
  unique key, so a retry or a concurrent duplicate inserts nothing and is answered with
  the first DocId.
- A delivery is listed to its recipient by ``getReceivedEdocList`` until the recipient
  acknowledges it with ``updateStatus`` (``done`` or ``fail``); acknowledging twice is a
  no-op. The receiver registers by DocumentId + DocId, so a packet fetched twice (crash
  between fetch and ack) is still registered once.
- ``sendEdocs``, ``getEdocs`` and ``updateStatuses`` (eoffice's extensions of the axis
  API, at most :data:`MAX_BATCH` items) are ``sendEdoc`` / ``getEdoc`` / ``updateStatus``
  for several packets in one request and one transaction, with the same rules item by
  item (each ``sendEdocs`` item in its own savepoint); the client falls back to the
  one-packet calls on a hub that answers 404.
- A status packet (``messagetype: status``) is routed to the body in
  ``ResponseFor/OrganId`` — the issuer of the original document when a receiver reports
  (01–06, 15, 16); it also updates the sender-side view of that document's delivery to
  the status's sender (``getSentEdocList``), keeping the latest status by the status
  packet's own timestamp. A status whose sender IS that body (the issuer's own take-back
  request, 13) goes to every body the issuer sent the document to; an issuer that
  addresses one receiver only names it in ``ResponseFor/OrganId``.
"""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from lxml import etree
from sqlalchemy import case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session, defer, selectinload

from eoffice.hub.auth import body_hash
from eoffice.hub.db import BINARY_RESULTS, KNOWN_CODES, OWNED_CODES, insert_ignoring_duplicates
from eoffice.hub.errors import (
    DirectoryConflict,
    InvalidFile,
    NotConformant,
    RecipientNotFound,
    SenderNotRegistered,
)
from eoffice.hub.models import (
    Agency,
    Delivery,
    DeliveryStatus,
    MessageType,
    Packet,
    RequestLog,
    SeenSignature,
    System,
    utcnow,
)
from eoffice.interop import b64
from eoffice.interop.edxml import (
    STATUS_CODES,
    EdocPacket,
    EdxmlError,
    StatusPacket,
    append_trace,
    check_attachments,
    parse_packet_tree,
)

# Most packets or acknowledgements one sendEdocs / getEdocs / updateStatuses call carries.
MAX_BATCH = 100

# QCVN 102 timestamps carry no offset; they are Vietnam local time.
VIETNAM_TZ = timezone(timedelta(hours=7))


@dataclass(frozen=True)
class HubSettings:
    """The configuration the hub's operations depend on."""

    max_attachment_bytes: int = 50 * 1024 * 1024
    """Largest attachment accepted (decoded bytes), ``HUB_MAX_ATTACHMENT_BYTES``."""
    max_packet_bytes: int = 256 * 1024 * 1024
    """Largest packet accepted, ``HUB_MAX_PACKET_BYTES``."""
    allow_zip: bool = False
    """Accept ``application/zip`` attachments (the QCVN samples), ``HUB_ALLOW_ZIP``."""
    trace_organ_id: str = "000.00.00.G22"
    """OrganId of the hub's own TraceHeader hop, ``HUB_TRACE_ORGAN_ID``."""
    list_limit: int = 500
    """Most deliveries one ``getReceivedEdocList`` answer lists (the rest on the next poll)."""


# --- directory ---------------------------------------------------------------------------


def register_agency(
    session: Session, code: str, name: str, parent_code: str | None = None
) -> Agency:
    """Add a body to the directory, or update its name and parent (idempotent by code)."""
    code = _clean_code(code)
    agency = session.scalar(select(Agency).where(Agency.code == code))
    if agency is None:
        agency = Agency(code=code, name=name.strip() or code, parent_code=parent_code)
        session.add(agency)
    else:
        agency.name = name.strip() or agency.name
        agency.parent_code = parent_code
        agency.active = True
    session.flush()
    _forget_owned(session)
    return agency


def system_exists(session: Session, name: str) -> bool:
    """Whether a system of that name is registered."""
    return session.scalar(select(System.id).where(System.name == name.strip())) is not None


def register_system(
    session: Session, name: str, org_codes: Iterable[str], *, rotate: bool = False
) -> tuple[str, str]:
    """Register a connected system owning ``org_codes``; return ``(systemid, secret)``.

    Idempotent by name: registering again returns the same systemid (and secret, unless
    ``rotate``) and adds the bodies. A body not yet in the directory is added under its
    code as name; a body owned by another system raises :class:`DirectoryConflict`.
    """
    name = name.strip()
    if not name:
        raise ValueError("system name must not be empty")
    system = session.scalar(select(System).where(System.name == name))
    if system is None:
        system = System(systemid=_new_systemid(name), name=name, secret=_new_secret())
        session.add(system)
        session.flush()
    elif rotate:
        system.secret = _new_secret()
    for raw in org_codes:
        code = _clean_code(raw)
        agency = session.scalar(select(Agency).where(Agency.code == code))
        if agency is None:
            agency = Agency(code=code, name=code)
            session.add(agency)
        elif agency.system_id not in (None, system.id):
            raise DirectoryConflict(
                f"Cơ quan {code} đã thuộc hệ thống khác / {code} is owned by another system"
            )
        agency.system = system
    session.flush()
    _forget_owned(session)
    return system.systemid, system.secret


def owned_codes(session: Session, system: System) -> set[str]:
    """Codes of the active bodies the system owns.

    Looked up once per transaction (authentication loads them with the caller): the items
    of a batch (``sendEdocs``) ask for them again without asking the database.
    """
    cache: dict[int, frozenset[str]] = session.info.setdefault(OWNED_CODES, {})
    codes = cache.get(system.id)
    if codes is None:
        codes = cache[system.id] = frozenset(
            session.scalars(
                select(Agency.code).where(Agency.system_id == system.id, Agency.active.is_(True))
            )
        )
    return set(codes)


def _forget_owned(session: Session) -> None:
    """The directory changed: owned_codes() and _require_known() ask the database again."""
    session.info.pop(OWNED_CODES, None)
    session.info.pop(KNOWN_CODES, None)


def list_agencies(session: Session) -> list[dict[str, object]]:
    """The directory, as ``getAgenciesList`` answers it."""
    rows = session.scalars(select(Agency).order_by(Agency.code))
    return [
        {
            "code": agency.code,
            "name": agency.name,
            "parentCode": agency.parent_code,
            "active": agency.active,
            "connected": agency.system_id is not None,
        }
        for agency in rows
    ]


# --- sending -----------------------------------------------------------------------------


def send_packet(
    session: Session,
    system: System,
    *,
    from_code: str,
    message_type: str,
    body: bytes,
    settings: HubSettings,
    now: datetime | None = None,
) -> str:
    """Validate and store a packet once, with one delivery per recipient; return its DocId.

    Every refusal (a ``HubFailure``) is raised before the first write: batches
    (:func:`send_packets`) rely on it instead of a savepoint per item.
    """
    now = now or utcnow()
    kind = _message_type(message_type)
    from_code = from_code.strip()
    if not from_code:
        raise SenderNotRegistered("Thiếu mã cơ quan gửi (from) / missing 'from' header")
    if from_code not in owned_codes(session, system):
        raise SenderNotRegistered(
            f"Cơ quan gửi {from_code} không thuộc hệ thống {system.systemid} / "
            "sender is not owned by the calling system"
        )
    packet, tree = _parse(body, settings)
    if packet.kind != kind.value:
        raise NotConformant(
            f"Gói tin là '{packet.kind}' nhưng messagetype là '{kind.value}' / "
            "packet kind does not match messagetype"
        )
    if packet.sender.organ_id.strip() != from_code:
        raise SenderNotRegistered(
            f"Cơ quan gửi trong gói tin ({packet.sender.organ_id}) khác header from "
            f"({from_code}) / packet From differs from the 'from' header"
        )
    if isinstance(packet, EdocPacket):
        document_id, recipients, status_code, subject = _check_edoc(packet, settings)
    else:
        document_id, recipients, status_code, subject = _check_status(session, packet)
    _require_known(session, recipients)

    digest = body_hash(body)
    try:
        stored = append_trace(
            body, settings.trace_organ_id, now, max_bytes=settings.max_packet_bytes, root=tree
        )
    except EdxmlError as exc:
        raise _edxml_failure(exc) from exc
    # Store once: INSERT … ON CONFLICT (the packet's identity) DO NOTHING. No row inserted
    # means the same bytes were sent before (a retry, or a concurrent duplicate that won
    # the race): answer with the first DocId and store nothing.
    doc_id = str(uuid.uuid4())
    packet_id = insert_ignoring_duplicates(
        session,
        Packet.__table__,
        {
            "doc_id": doc_id,
            "system_id": system.id,
            "from_code": from_code,
            "message_type": kind,
            "document_id": document_id,
            "status_code": status_code,
            "subject": subject,
            "content_sha256": digest,
            "size": len(stored),
            "data": stored,
            "created_at": now,
        },
        _PACKET_IDENTITY,
        returning="id",
    ).scalar()
    if packet_id is None:
        existing = _find_same(session, from_code, kind, document_id, digest)
        if existing is None:  # pragma: no cover - the conflicting row cannot vanish
            raise RuntimeError("hub: a conflicting packet row is not visible")
        return existing
    session.execute(  # parameters, not .values([...]): the statement stays cacheable
        insert(Delivery),
        [
            {
                "packet_id": packet_id,
                "recipient_code": code,
                "status": DeliveryStatus.pending,
                "created_at": now,
            }
            for code in recipients
        ],
    )
    if isinstance(packet, StatusPacket):
        _record_receive_status(session, packet, now)
    return doc_id


# The unique key that makes sending idempotent (uq_hub_packets_identity).
_PACKET_IDENTITY = ("from_code", "message_type", "document_id", "content_sha256")


def send_packets(
    session: Session,
    system: System,
    items: Sequence[object],
    *,
    settings: HubSettings,
    now: datetime | None = None,
) -> list[dict[str, str]]:
    """Store several packets at once (``sendEdocs``), each exactly as :func:`send_packet`.

    ``items`` are ``{"from", "messagetype", "data"}``, data in base64 or as bytes. A
    refused item stores nothing and is reported in its own entry (``ErrorCode``,
    ``ErrorDesc``); the others get their ``DocId``, in order. No SAVEPOINT per item:
    :func:`send_packet` refuses before it writes anything (its checks only read), so a
    refusal leaves the transaction as it found it.
    """
    if not items:
        raise InvalidFile("Thiếu danh sách gói tin / missing items")
    if len(items) > MAX_BATCH:
        raise InvalidFile(f"Tối đa {MAX_BATCH} gói tin một lần / at most {MAX_BATCH} per call")
    entries = [item for item in items if isinstance(item, dict)]
    if len(entries) != len(items):
        raise InvalidFile("Mỗi gói tin là một đối tượng JSON / each item must be an object")
    now = now or utcnow()
    results: list[dict[str, str]] = []
    for item in entries:
        try:
            body = _item_body(item.get("data"))
            doc_id = send_packet(
                session,
                system,
                from_code=str(item.get("from") or ""),
                message_type=str(item.get("messagetype") or "edoc"),
                body=body,
                settings=settings,
                now=now,
            )
        except (InvalidFile, NotConformant, RecipientNotFound, SenderNotRegistered) as exc:
            results.append({"ErrorCode": exc.code, "ErrorDesc": exc.desc})
        else:
            results.append({"DocId": doc_id})
    return results


def _item_body(data: object) -> bytes:
    if isinstance(data, bytes):  # sent unencoded (packet framing)
        return data
    if not isinstance(data, str):
        raise InvalidFile("Thiếu nội dung gói tin (data, base64) / missing data")
    try:
        return b64.decode(data)
    except ValueError as exc:  # (binascii.Error is one)
        raise InvalidFile("Nội dung gói tin không phải base64 / data is not base64") from exc


def _message_type(value: str) -> MessageType:
    try:
        return MessageType((value or "edoc").strip().lower())
    except ValueError as exc:
        raise InvalidFile(
            f"messagetype '{value}' không hợp lệ (edoc|status) / invalid messagetype"
        ) from exc


def _parse(body: bytes, settings: HubSettings) -> tuple[EdocPacket | StatusPacket, etree._Element]:
    """The packet and its parsed tree (reused to add the hop: the bytes are parsed once)."""
    if not body:
        raise NotConformant("Gói tin rỗng / empty packet")
    try:
        return parse_packet_tree(body, max_bytes=settings.max_packet_bytes)
    except EdxmlError as exc:
        raise _edxml_failure(exc) from exc


def _edxml_failure(exc: EdxmlError) -> InvalidFile | NotConformant:
    desc = exc.reason + (f" / {exc.reason_en}" if exc.reason_en else "")
    if exc.code == "10":
        return InvalidFile(desc)
    return NotConformant(desc)


def _check_edoc(
    packet: EdocPacket, settings: HubSettings
) -> tuple[str, list[str], str | None, str]:
    if not packet.document_id.strip():
        raise NotConformant("Thiếu DocumentId trong MessageHeader / missing DocumentId")
    recipients = _unique(org.organ_id.strip() for org in packet.recipients)
    if not recipients:
        raise NotConformant("Gói tin không có nơi nhận (To) / packet has no recipient (To)")
    allowed = ("application/pdf", "application/zip") if settings.allow_zip else ("application/pdf",)
    try:
        check_attachments(packet, max_bytes=settings.max_attachment_bytes, allowed_types=allowed)
    except EdxmlError as exc:
        raise InvalidFile(exc.reason + (f" / {exc.reason_en}" if exc.reason_en else "")) from exc
    return packet.document_id.strip(), recipients, None, packet.subject


def _check_status(
    session: Session, packet: StatusPacket
) -> tuple[str, list[str], str | None, str]:
    target = packet.response_for.organ_id.strip()
    if not target:
        raise NotConformant(
            "Gói tin trạng thái thiếu ResponseFor/OrganId / status without ResponseFor/OrganId"
        )
    document_id = packet.response_for.document_id.strip()
    if not document_id:
        raise NotConformant(
            "Gói tin trạng thái thiếu ResponseFor/DocumentId / status without DocumentId"
        )
    if packet.status_code not in STATUS_CODES:
        raise NotConformant(
            f"Mã trạng thái '{packet.status_code}' không hợp lệ / unknown StatusCode"
        )
    recipients = [target]
    if target == packet.sender.organ_id.strip():
        # The issuer speaks about its own document (13, lấy lại): to its receivers.
        recipients = _document_receivers(session, target, document_id)
        if not recipients:
            raise RecipientNotFound(
                f"Văn bản {document_id} chưa được gửi cho cơ quan nào / "
                "the issuer's document has no receivers at the hub"
            )
    return document_id, recipients, packet.status_code, packet.description


def _document_receivers(session: Session, issuer: str, document_id: str) -> list[str]:
    """Every body the issuer sent that document to, in the order of first delivery."""
    codes = session.scalars(
        select(Delivery.recipient_code)
        .join(Packet)
        .where(
            Packet.message_type == MessageType.edoc,
            Packet.document_id == document_id,
            Packet.from_code == issuer,
        )
        .order_by(Delivery.id)
    )
    return _unique(code for code in codes if code != issuer)


def _require_known(session: Session, codes: Sequence[str]) -> None:
    """Every code is an active body of the directory (else error 18).

    Codes found once are remembered for the transaction: a batch to the same bodies asks
    the directory once.
    """
    known: set[str] = session.info.setdefault(KNOWN_CODES, set())
    asked = [code for code in codes if code not in known]
    if asked:
        known.update(
            session.scalars(
                select(Agency.code).where(Agency.code.in_(asked), Agency.active.is_(True))
            )
        )
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise RecipientNotFound(
            "Không tìm thấy cơ quan nhận: " + ", ".join(unknown) + " / recipient not found"
        )


def _find_same(
    session: Session, from_code: str, kind: MessageType, document_id: str, digest: str
) -> str | None:
    return session.scalar(
        select(Packet.doc_id).where(
            Packet.from_code == from_code,
            Packet.message_type == kind,
            Packet.document_id == document_id,
            Packet.content_sha256 == digest,
        )
    )


def _record_receive_status(session: Session, packet: StatusPacket, now: datetime) -> None:
    """Show the status on the issuer's deliveries of that document to the status's sender."""
    when = packet.timestamp or now
    if when.tzinfo is None:
        when = when.replace(tzinfo=VIETNAM_TZ)
    when = when.astimezone(UTC)
    # The issuer's packets of that document first (the identity index), then their
    # deliveries by (packet, recipient), the unique index: one UPDATE with the packets as
    # a subquery was planned, on tables not analysed yet, as a walk over every delivery to
    # the recipient — milliseconds per status and growing with the hub's traffic.
    issued = session.scalars(
        select(Packet.id).where(
            Packet.message_type == MessageType.edoc,
            Packet.document_id == packet.response_for.document_id.strip(),
            Packet.from_code == packet.response_for.organ_id.strip(),
        )
    ).all()
    if not issued:
        return
    # The newest status by the packet's own timestamp wins.
    session.execute(
        update(Delivery)
        .where(
            Delivery.packet_id.in_(issued),
            Delivery.recipient_code == packet.sender.organ_id.strip(),
            or_(Delivery.receive_status_at.is_(None), Delivery.receive_status_at <= when),
        )
        .values(
            receive_status=packet.status_code,
            receive_status_desc=packet.description,
            receive_status_at=when,
        )
        .execution_options(synchronize_session=False)
    )


# --- receiving ---------------------------------------------------------------------------


def list_received(
    session: Session, system: System, message_type: str, *, settings: HubSettings
) -> list[dict[str, object]]:
    """Deliveries to the caller's bodies of that kind that are not acknowledged yet.

    ``message_type`` may name several kinds, comma-separated (``edoc,status``: an eoffice
    extension, so that a poll lists both in one call); the entries are in delivery order.
    """
    kinds = list(dict.fromkeys(_message_type(value)
                               for value in (message_type or "edoc").split(",")))
    codes = owned_codes(session, system)
    if not codes:
        return []
    rows = session.execute(
        select(Delivery, Packet)
        .join(Packet)
        .options(defer(Packet.data))  # the list never needs the packets' bytes
        .where(
            Delivery.recipient_code.in_(codes),
            Delivery.status == DeliveryStatus.pending,
            Packet.message_type.in_(kinds),
        )
        .order_by(Delivery.id)
        .limit(settings.list_limit)
    )
    return [
        {
            "docId": packet.doc_id,
            "documentId": packet.document_id,
            "from": packet.from_code,
            "to": delivery.recipient_code,
            "messageType": packet.message_type.value,
            "serviceType": "eDoc",
            "statusCode": packet.status_code,
            "subject": packet.subject,
            "created_time": _iso(packet.created_at),
            "status": delivery.status.value,
            "size": packet.size,
        }
        for delivery, packet in rows
    ]


def get_packet(session: Session, system: System, doc_id: str) -> bytes:
    """The stored packet, for one of its recipients or its sender (else error 18)."""
    packet = _packet_for(session, system, doc_id, include_sender=True, with_data=False)
    return packet_bytes(session, [packet.doc_id])[packet.doc_id]


def get_packets(session: Session, system: System, doc_ids: Sequence[str]) -> dict[str, bytes]:
    """Several stored packets at once (``getEdocs``); ids the caller may not read are left out."""
    wanted = _unique((doc_id or "").strip() for doc_id in doc_ids)
    wanted = [doc_id for doc_id in wanted if doc_id]
    if not wanted:
        raise InvalidFile("Thiếu docIds / missing docIds")
    if len(wanted) > MAX_BATCH:
        raise InvalidFile(f"Tối đa {MAX_BATCH} gói tin một lần / at most {MAX_BATCH} per call")
    codes = owned_codes(session, system)
    packets = session.scalars(
        select(Packet)
        .where(Packet.doc_id.in_(wanted))
        .options(selectinload(Packet.deliveries), defer(Packet.data))
    )
    readable = [
        packet.doc_id
        for packet in packets
        if packet.from_code in codes or any(d.recipient_code in codes for d in packet.deliveries)
    ]
    return packet_bytes(session, readable) if readable else {}


def packet_bytes(session: Session, doc_ids: Sequence[str]) -> dict[str, bytes]:
    """The stored bytes of these packets, by DocId (read in binary format on PostgreSQL)."""
    rows = session.execute(
        select(Packet.doc_id, Packet.data).where(Packet.doc_id.in_(doc_ids)),
        execution_options={BINARY_RESULTS: True},
    )
    return {doc_id: bytes(data) for doc_id, data in rows}


def update_statuses(
    session: Session, system: System, items: Sequence[object], *, now: datetime | None = None
) -> list[dict[str, object]]:
    """Acknowledge several deliveries at once (``updateStatuses``), each as ``updateStatus``.

    A refused item (unknown packet or delivery, bad status) is reported in its own entry and
    changes nothing; the others are applied.
    """
    if not items:
        raise InvalidFile("Thiếu danh sách xác nhận / missing items")
    if len(items) > MAX_BATCH:
        raise InvalidFile(f"Tối đa {MAX_BATCH} xác nhận một lần / at most {MAX_BATCH} per call")
    now = now or utcnow()
    entries = [item for item in items if isinstance(item, dict)]
    if len(entries) != len(items):
        raise InvalidFile("Mỗi xác nhận là một đối tượng JSON / each item must be an object")
    # One query for the batch's packets (with their deliveries, without their bytes) and
    # one for the caller's bodies, instead of two per item.
    codes = owned_codes(session, system)
    wanted = {str(item.get("docId") or "").strip() for item in entries}
    packets = {
        packet.doc_id: packet
        for packet in session.scalars(
            select(Packet)
            .where(Packet.doc_id.in_(wanted - {""}))
            .options(selectinload(Packet.deliveries), defer(Packet.data))
        )
    }
    results: list[dict[str, object]] = []
    for item in entries:
        doc_id, status, to = (str(item.get(k) or "") for k in ("docId", "status", "to"))
        try:
            count = update_status(session, system, doc_id, status, to=to or None, now=now,
                                  _found=(packets.get(doc_id.strip()), codes))
        except (InvalidFile, RecipientNotFound) as exc:
            results.append({"docId": doc_id, "to": to, "updated": 0,
                            "ErrorCode": exc.code, "ErrorDesc": exc.desc})
        else:
            results.append({"docId": doc_id, "to": to, "updated": count, "ErrorCode": "0"})
    return results


def update_status(
    session: Session,
    system: System,
    doc_id: str,
    status: str,
    *,
    to: str | None = None,
    now: datetime | None = None,
    _found: tuple[Packet | None, set[str]] | None = None,
) -> int:
    """Acknowledge (``done`` or ``fail``) the caller's deliveries of a packet; return how many.

    ``_found`` (``update_statuses`` only): the packet already loaded (None if unknown) and
    the caller's body codes; the same checks apply to it.
    """
    now = now or utcnow()
    try:
        new_status = DeliveryStatus((status or "").strip().lower())
    except ValueError as exc:
        raise InvalidFile(f"status '{status}' không hợp lệ (done|fail) / invalid status") from exc
    if new_status is DeliveryStatus.pending:
        raise InvalidFile("status phải là done hoặc fail / status must be done or fail")
    if _found is None:
        packet = _packet_for(session, system, doc_id, include_sender=False, with_data=False)
        codes = owned_codes(session, system)
    else:
        packet, codes = _found
        if not (doc_id or "").strip():
            raise InvalidFile("Thiếu docId / missing docId header")
        _require_visible(packet, codes, doc_id.strip(), include_sender=False)
        assert packet is not None
    targets = [
        d
        for d in packet.deliveries
        if d.recipient_code in codes and (not to or d.recipient_code == to.strip())
    ]
    if not targets:
        raise RecipientNotFound(
            f"Không có gói tin {doc_id} gửi tới {to} / no such delivery for that recipient"
        )
    for delivery in targets:
        if delivery.status is not new_status:
            delivery.status = new_status
            delivery.acked_at = delivery.acked_at or now
    session.flush()
    return len(targets)


def list_sent(
    session: Session, system: System, *, page: int = 1, page_size: int = 100
) -> list[dict[str, object]]:
    """Document packets the caller's bodies sent, one entry per receiver, newest first."""
    codes = owned_codes(session, system)
    if not codes:
        return []
    page = max(page, 1)
    page_size = min(max(page_size, 1), 1000)
    packets = session.scalars(
        select(Packet)
        .where(Packet.from_code.in_(codes), Packet.message_type == MessageType.edoc)
        .options(selectinload(Packet.deliveries), defer(Packet.data))
        .order_by(Packet.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    result: list[dict[str, object]] = []
    for packet in packets:
        for delivery in packet.deliveries:
            result.append(
                {
                    "docId": packet.doc_id,
                    "documentId": packet.document_id,
                    "fromCode": packet.from_code,
                    "toCode": delivery.recipient_code,
                    "title": packet.subject,
                    "messageType": packet.message_type.value,
                    "sentTime": _iso(packet.created_at),
                    "sendStatus": delivery.status.value,
                    "receivedTime": _iso(delivery.acked_at),
                    "receiveStatus": delivery.receive_status,
                    "receiveStatusDesc": delivery.receive_status_desc,
                    "receiveStatusTime": _iso(delivery.receive_status_at),
                }
            )
    return result


def _packet_for(
    session: Session, system: System, doc_id: str, *, include_sender: bool, with_data: bool = True
) -> Packet:
    """The packet the caller may see; ``with_data=False`` leaves its bytes in the database."""
    doc_id = (doc_id or "").strip()
    if not doc_id:
        raise InvalidFile("Thiếu docId / missing docId header")
    options = [selectinload(Packet.deliveries)] + ([] if with_data else [defer(Packet.data)])
    packet = session.scalar(select(Packet).where(Packet.doc_id == doc_id).options(*options))
    _require_visible(packet, owned_codes(session, system), doc_id, include_sender=include_sender)
    assert packet is not None
    return packet


def _require_visible(
    packet: Packet | None, codes: set[str], doc_id: str, *, include_sender: bool
) -> None:
    allowed = packet is not None and (
        any(d.recipient_code in codes for d in packet.deliveries)
        or (include_sender and packet.from_code in codes)
    )
    if packet is None or not allowed:
        # Same answer for "no such packet" and "not yours": ids are not an oracle.
        raise RecipientNotFound(
            f"Không tìm thấy gói tin {doc_id} cho hệ thống này / no such packet for this system"
        )


# --- retention, traffic ------------------------------------------------------------------


def purge(
    session: Session, *, older_than: timedelta, now: datetime | None = None
) -> dict[str, int]:
    """Delete fully acknowledged packets and request logs older than ``older_than``.

    A packet with any delivery still pending is kept whatever its age: never lost.
    """
    now = now or utcnow()
    cutoff = now - older_than
    pending = select(Delivery.packet_id).where(Delivery.status == DeliveryStatus.pending)
    old_ids = list(
        session.scalars(
            select(Packet.id).where(Packet.created_at < cutoff, Packet.id.not_in(pending))
        )
    )
    for start in range(0, len(old_ids), 500):
        chunk = old_ids[start : start + 500]
        session.execute(delete(Delivery).where(Delivery.packet_id.in_(chunk)))
        session.execute(delete(Packet).where(Packet.id.in_(chunk)))
    logs = session.execute(delete(RequestLog).where(RequestLog.at < cutoff)).rowcount
    seen = session.execute(delete(SeenSignature).where(SeenSignature.seen_at < cutoff)).rowcount
    session.flush()
    return {"packets": len(old_ids), "requests": int(logs or 0), "signatures": int(seen or 0)}


def log_request(
    session: Session,
    *,
    systemid: str | None,
    endpoint: str,
    http_status: int,
    error_code: str,
    duration_ms: int,
    now: datetime | None = None,
) -> None:
    """Append one answered request to the traffic log."""
    session.add(
        RequestLog(
            at=now or utcnow(),
            systemid=(systemid or None) and systemid[:64],
            endpoint=endpoint[:40],
            http_status=http_status,
            error_code=error_code[:4],
            duration_ms=duration_ms,
        )
    )
    session.flush()


def traffic_summary(session: Session, *, now: datetime | None = None) -> dict[str, object]:
    """Figures for the admin page: traffic, pending deliveries per body, failures."""
    now = now or utcnow()
    since = now - timedelta(hours=24)
    packets = dict(
        session.execute(
            select(Packet.message_type, func.count()).group_by(Packet.message_type)
        ).all()
    )
    packets_24h = dict(
        session.execute(
            select(Packet.message_type, func.count())
            .where(Packet.created_at >= since)
            .group_by(Packet.message_type)
        ).all()
    )
    traffic = [
        {"endpoint": endpoint, "total": total, "failed": int(failed or 0)}
        for endpoint, total, failed in session.execute(
            select(
                RequestLog.endpoint,
                func.count(),
                func.sum(case((RequestLog.http_status >= 400, 1), else_=0)),
            )
            .where(RequestLog.at >= since)
            .group_by(RequestLog.endpoint)
            .order_by(RequestLog.endpoint)
        )
    ]
    names = dict(session.execute(select(Agency.code, Agency.name)).all())
    pending = [
        {
            "code": code,
            "name": names.get(code, ""),
            "pending": count,
            "oldest": oldest if oldest is None else _as_utc(oldest),
        }
        for code, count, oldest in session.execute(
            select(Delivery.recipient_code, func.count(), func.min(Delivery.created_at))
            .where(Delivery.status == DeliveryStatus.pending)
            .group_by(Delivery.recipient_code)
            .order_by(func.count().desc(), Delivery.recipient_code)
        )
    ]
    failed_requests = list(
        session.scalars(
            select(RequestLog)
            .where(RequestLog.http_status >= 400)
            .order_by(RequestLog.id.desc())
            .limit(50)
        )
    )
    failed_deliveries = list(
        session.execute(
            select(Delivery, Packet)
            .join(Packet)
            .where(Delivery.status == DeliveryStatus.fail)
            .order_by(Delivery.acked_at.desc())
            .limit(50)
        )
    )
    return {
        "now": now,
        "packets": {k.value: v for k, v in packets.items()},
        "packets_24h": {k.value: v for k, v in packets_24h.items()},
        "traffic": traffic,
        "pending": pending,
        "failed_requests": failed_requests,
        "failed_deliveries": failed_deliveries,
        "systems": session.scalar(select(func.count()).select_from(System)) or 0,
        "agencies": session.scalar(select(func.count()).select_from(Agency)) or 0,
    }


# --- helpers -----------------------------------------------------------------------------


def _clean_code(code: str) -> str:
    code = code.strip()
    if not code or len(code) > 35:
        raise ValueError(f"invalid organisation code {code!r}")
    return code


def _new_systemid(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "system"
    return f"{slug}-{secrets.token_hex(4)}"


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return _as_utc(value).isoformat().replace("+00:00", "Z")
