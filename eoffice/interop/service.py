"""Sending and receiving packets through the hub: outbox, inbox, statuses.

Entry points (called inside a unit of work, except the two network loops):

* :func:`enqueue_packet` — write an outbox row in the caller's transaction and, after
  commit, queue its delivery. Services of the outgoing/incoming capabilities call it
  (or :func:`emit_status`) in the same transaction as the state change that sends.
* :func:`deliver` — one attempt to hand a pending packet to the hub (Celery task
  ``eoffice.interop.deliver_packet``; the beat task ``eoffice.interop.flush_outbox``
  retries due rows, so a lost task or a killed worker only delays delivery);
  :func:`deliver_many` — the same for several rows in one ``sendEdocs`` call (task
  ``eoffice.interop.deliver_packets``).
* :func:`poll` — fetch what the hub lists for our bodies (documents and statuses),
  store each once, hand documents to the registered receivers, acknowledge.

Delivery is at-least-once and receipt idempotent (hub docId + recipient, then edXML
DocumentId), so together every packet is registered exactly once.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from eoffice.audit import service as audit
from eoffice.core.db import utcnow
from eoffice.core.errors import Conflict, NotFound
from eoffice.core.permissions import require
from eoffice.core.storage import file_store as store
from eoffice.core.uow import after_commit_batch, per_transaction, unit_of_work
from eoffice.extensions import db
from eoffice.interop import edxml
from eoffice.interop import policy as _policy  # noqa: F401  (declares the interop.* rules)
from eoffice.interop.hub_client import HubClient, HubClientError, HubError
from eoffice.interop.models import DeliveryStatus, InboxMessage, OutboxMessage, StatusEvent

log = logging.getLogger(__name__)

EdocReceiver = Callable[[InboxMessage, edxml.EdocPacket], object]
StatusReceiver = Callable[[InboxMessage, edxml.StatusPacket], None]
_EDOC_RECEIVERS: list[EdocReceiver] = []
_STATUS_RECEIVERS: list[StatusReceiver] = []
_DUPLICATE_RECEIVERS: list[EdocReceiver] = []


def register_edoc_receiver(receiver: EdocReceiver) -> None:
    """Hand every newly received document packet to ``receiver`` (listed in create_app).

    The receiver runs inside the receipt's transaction and owns the document from then
    on, including answering status 01. With no receiver registered, interop answers 01
    itself. A receiver that returns something other than None (the document it
    registered) has written the arrival to the audit log itself, naming the inbox row;
    otherwise interop writes ``interop.received`` (one event per arrival, not two).
    """
    if receiver not in _EDOC_RECEIVERS:
        _EDOC_RECEIVERS.append(receiver)


def register_duplicate_receiver(receiver: EdocReceiver) -> None:
    """Hand every document packet whose DocumentId the body already received (kept only
    as a duplicate, never registered twice) to ``receiver``, inside the receipt's
    transaction: a resend changes nothing, but different content under the same
    DocumentId is something people must hear about."""
    if receiver not in _DUPLICATE_RECEIVERS:
        _DUPLICATE_RECEIVERS.append(receiver)


def register_status_receiver(receiver: StatusReceiver) -> None:
    """Hand every received status packet to ``receiver`` after it is recorded."""
    if receiver not in _STATUS_RECEIVERS:
        _STATUS_RECEIVERS.append(receiver)


def packet_signer(org_code: str) -> edxml.PacketSigner | None:
    """The XML-signature signer for packets from a body (its body key), if it has one.

    Looked up once per transaction (a poll answers a whole batch with status packets).
    """
    digest = per_transaction(("interop.signer", org_code), lambda: _signer_digest(org_code))
    if digest is None:
        return None
    signer = _SIGNERS.get(digest)
    if signer is None:
        from eoffice.documents import keys

        signer = edxml.PacketSigner.from_pkcs12(store().get(digest),
                                                keys.body_key_pin().encode())
        _SIGNERS[digest] = signer
    return signer


def _signer_digest(org_code: str) -> str | None:
    """The PKCS#12 digest of a body's active key (issued on first use); None: no body."""
    from eoffice.documents import keys
    from eoffice.orgs.models import Organization

    org = db.session.execute(sa.select(Organization).where(Organization.code == org_code)
                             ).scalar_one_or_none()
    if org is None:
        return None
    return (keys.active_key("org", org.id) or keys.issue_body_key(org)).p12_digest


# Parsed packet signers per PKCS#12 digest (immutable content, so safe to keep).
_SIGNERS: dict[str, edxml.PacketSigner] = {}


# ---------------------------------------------------------------------------------------
# hub access


@dataclass(frozen=True)
class HubCredentials:
    """This installation's connected-system identity at the hub."""

    url: str
    systemid: str
    secret: str


def hub_credentials() -> HubCredentials:
    """From configuration, else from ``instance/hub-credentials.json`` (all-in-one demo)."""
    config = current_app.config
    systemid, secret = config.get("HUB_SYSTEM_ID"), config.get("HUB_SECRET")
    if not (systemid and secret):
        path = Path(current_app.instance_path) / "hub-credentials.json"
        if path.exists():
            data = json.loads(path.read_text())["installation"]
            systemid, secret = data["systemid"], data["secret"]
    if not (systemid and secret):
        raise Conflict("Chưa cấu hình kết nối trục liên thông (HUB_SYSTEM_ID, HUB_SECRET).")
    return HubCredentials(config["HUB_URL"], systemid, secret)


def hub_client() -> HubClient:
    """The process's client for the configured hub (tests may inject a WSGI transport).

    One client per process and configuration, kept open: its connections to the hub are
    reused by every delivery and poll (HTTP keep-alive) instead of one TCP connection per
    call. ``httpx.Client`` is thread-safe; a forked worker process makes its own.
    """
    creds = hub_credentials()
    timeout = current_app.config.get("HUB_TIMEOUT", 10)
    transport = current_app.extensions.get("hub_transport")
    if transport is not None:  # tests: the in-process hub of that test
        return HubClient(creds.url, creds.systemid, creds.secret, timeout=timeout,
                         transport=transport)
    key = (os.getpid(), creds, timeout)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(key)
        if client is None:
            client = HubClient(creds.url, creds.systemid, creds.secret, timeout=timeout,
                               transport=transport)
            _CLIENTS[key] = client
    return client


_CLIENTS: dict[tuple[Any, ...], HubClient] = {}
_CLIENTS_LOCK = threading.Lock()


# ---------------------------------------------------------------------------------------
# outbox


# delivery statuses of a recipient that has not reported yet
SENDING = "Đang gửi qua trục liên thông"
ON_HUB = "Đã gửi lên trục liên thông"


def enqueue_packet(
    *,
    packet: bytes,
    message_type: str,
    from_code: str,
    to_codes: list[str],
    document_id: str,
    subject: str = "",
    status_code: str = "",
    source: tuple[str, int] | None = None,
) -> OutboxMessage:
    """Write a packet to the outbox in the current transaction; deliver after commit."""
    digest = store().put(packet)
    message = OutboxMessage(
        message_type=message_type, from_code=from_code, to_codes=",".join(to_codes),
        document_id=document_id, subject=subject[:500], status_code=status_code,
        packet_digest=digest, packet_size=len(packet),
        source_type=source[0] if source else "", source_id=source[1] if source else None,
    )
    db.session.add(message)
    db.session.flush()
    if message_type == "edoc":
        # a later packet about the same document (revoke, replace, resend) keeps the
        # statuses recipients already reported
        _note_unreported([(document_id, code) for code in to_codes], SENDING)
    _deliver_after_commit(message.id)
    return message


def _deliver_after_commit(message_id: int) -> None:
    """Queue delivery once the transaction commits: one task per transaction's packets."""
    after_commit_batch("interop.deliver", message_id, queue_deliveries)


def queue_deliveries(message_ids: list[int]) -> None:
    """One task for a single row; else tasks of ``HUB_SEND_CONCURRENCY`` rows each (one
    ``sendEdocs`` call per task)."""
    from eoffice.interop.tasks import deliver_packet, deliver_packets

    if len(message_ids) == 1:
        deliver_packet.delay(message_ids[0])
        return
    size = max(current_app.config.get("HUB_SEND_CONCURRENCY", 8), 1)
    for start in range(0, len(message_ids), size):
        deliver_packets.delay(message_ids[start:start + size])


def emit_status(
    *,
    sender: edxml.Organization,
    response_for: edxml.ResponseFor,
    status_code: str,
    description: str,
    staff_department: str = "",
    staff_name: str = "",
    source: tuple[str, int] | None = None,
) -> OutboxMessage:
    """Queue a QCVN 102 status packet (01…06, 13, 15, 16) back to a document's issuer."""
    if status_code not in edxml.STATUS_CODES:
        raise ValueError(f"unknown status code {status_code!r}")
    packet = edxml.build_status(edxml.StatusPacket(
        sender=sender, response_for=response_for, status_code=status_code,
        description=description, timestamp=datetime.now(UTC),
        staff_department=staff_department, staff_name=staff_name,
    ), signer=packet_signer(sender.organ_id))
    return enqueue_packet(packet=packet, message_type="status", from_code=sender.organ_id,
                          to_codes=[response_for.organ_id],
                          document_id=response_for.document_id, status_code=status_code,
                          subject=description, source=source)


def backoff(attempts: int) -> timedelta:
    """Exponential back-off: base × 2^(attempts-1), capped."""
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_BASE"] * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_MAX"]))


def deliver(message_id: int, *, client: HubClient | None = None) -> str:
    """One delivery attempt; returns the row's state afterwards."""
    with unit_of_work():
        stmt = sa.select(OutboxMessage).where(OutboxMessage.id == message_id)
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        message = db.session.execute(stmt).scalar_one_or_none()
        if message is None:
            return "locked"
        if message.state != "pending":
            return message.state
        packet = store().get(message.packet_digest)
        message.attempts += 1
        try:
            hub = client or hub_client()
            doc_id = hub.send_edoc(packet, message.from_code, messagetype=message.message_type)
        except HubError as exc:
            _refused(message, exc)
        except HubClientError as exc:
            _retry_later(message, exc)
        else:
            _sent(message, doc_id)
            _note_on_hub([message])
        return message.state


def deliver_many(message_ids: list[int], *, client: HubClient | None = None) -> list[str]:
    """Delivery attempts for several rows with one ``sendEdocs`` call; their states after.

    The rows are claimed in one transaction (PostgreSQL: ``FOR UPDATE SKIP LOCKED``; a row
    another worker holds answers ``locked``, a row no longer pending its state, as
    :func:`deliver` does), their packets go to the hub in one request, and each row then
    gets its own outcome exactly as in :func:`deliver` (sent; refused → dead letter;
    hub unreachable → back-off, dead after ``OUTBOX_MAX_ATTEMPTS``), committed together.
    One request instead of one per packet replaced the threads this used to run: the
    hub's per-request cost (HTTP, authentication, commit) is paid once per batch.
    """
    if not message_ids:
        return []
    with unit_of_work():
        stmt = (sa.select(OutboxMessage).where(OutboxMessage.id.in_(message_ids))
                .order_by(OutboxMessage.id))
        if db.engine.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        rows = {message.id: message for message in db.session.execute(stmt).scalars()}
        due = [rows[i] for i in dict.fromkeys(message_ids)
               if i in rows and rows[i].state == "pending"]
        if due:
            packets = [(store().get(m.packet_digest), m.from_code, m.message_type) for m in due]
            for message in due:
                message.attempts += 1
            try:
                hub = client or hub_client()
                outcomes = hub.send_edocs(packets)
            except HubError as exc:  # the whole call was refused (e.g. authentication)
                for message in due:
                    _refused(message, exc)
            except HubClientError as exc:
                for message in due:
                    _retry_later(message, exc)
            else:
                sent = []
                for message, outcome in zip(due, outcomes, strict=True):
                    if isinstance(outcome, HubError):
                        _refused(message, outcome)
                    else:
                        _sent(message, outcome)
                        sent.append(message)
                _note_on_hub(sent)
        return [rows[i].state if i in rows else "locked" for i in message_ids]


def _sent(message: OutboxMessage, doc_id: str) -> None:
    message.hub_doc_id = doc_id
    message.state = "sent"
    message.sent_at = utcnow()
    message.last_error = ""


def _note_on_hub(sent: list[OutboxMessage]) -> None:
    """"On the hub" for the recipients of these sent documents that have not reported."""
    _note_unreported([(m.document_id, code) for m in sent if m.message_type == "edoc"
                      for code in filter(None, m.to_codes.split(","))], ON_HUB)


def _note_unreported(pairs: list[tuple[str, str]], description: str) -> None:
    """``description`` as the delivery status of each (document, recipient) that has no
    reported status yet — one query for all the pairs, not one per recipient."""
    if not pairs:
        return
    rows = {(row.document_id, row.recipient_code): row for row in db.session.execute(
        sa.select(DeliveryStatus).where(
            sa.tuple_(DeliveryStatus.document_id, DeliveryStatus.recipient_code)
            .in_(sorted(set(pairs))))).scalars()}
    now = utcnow()
    for document_id, code in dict.fromkeys(pairs):
        row = rows.get((document_id, code))
        if row is None:
            row = DeliveryStatus(document_id=document_id, recipient_code=code, status_code="")
            db.session.add(row)
        elif row.status_code:
            continue  # a recipient already reported: keep its status
        row.description = description
        row.reported_at = None
        row.updated_at = now


def _refused(message: OutboxMessage, exc: HubError) -> None:
    message.state = "dead"
    message.last_error = f"Trục liên thông từ chối (mã {exc.code}): {exc.desc}"
    _mark_failed(message)


def _retry_later(message: OutboxMessage, exc: HubClientError) -> None:
    message.last_error = f"Không gửi được, sẽ thử lại: {exc}"
    if message.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        message.state = "dead"
        message.last_error = f"Đã thử {message.attempts} lần không thành công: {exc}"
        _mark_failed(message)
    else:
        message.next_attempt_at = utcnow() + backoff(message.attempts)


def _mark_failed(message: OutboxMessage) -> None:
    audit.record(None, "interop.dead_letter", message,
                 details={"document_id": message.document_id, "error": message.last_error})


def due_messages(limit: int = 100) -> list[int]:
    """Pending rows whose next attempt is due."""
    return list(db.session.execute(
        sa.select(OutboxMessage.id).where(OutboxMessage.state == "pending",
                                          OutboxMessage.next_attempt_at <= utcnow())
        .order_by(OutboxMessage.next_attempt_at).limit(limit)
    ).scalars())


def claim_due_messages(limit: int = 100) -> list[int]:
    """Due rows, leased for ``OUTBOX_LEASE_SECONDS`` so the sweeper queues each once.

    A delivery task that is lost (worker killed) leaves its row pending; the lease then
    runs out and the next sweep queues it again.
    """
    with unit_of_work():
        ids = due_messages(limit)
        if ids:
            lease = utcnow() + timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
            db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id.in_(ids))
                               .values(next_attempt_at=lease))
    return ids


def resend(actor: Any, message: OutboxMessage) -> OutboxMessage:
    """A clerk puts a dead letter back in the queue."""
    require(actor, "interop.resend", message)
    if message.state != "dead":
        raise Conflict("Chỉ gửi lại được gói tin gửi không thành công.")
    message.state = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    db.session.flush()
    audit.record(actor, "interop.resend", message, details={"document_id": message.document_id})
    _deliver_after_commit(message.id)
    return message


def get_outbox_message(message_id: int) -> OutboxMessage:
    """Load an outbox row."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("Không tìm thấy gói tin.")
    return message


# ---------------------------------------------------------------------------------------
# receiving


def poll(*, client: HubClient | None = None, shard: int = 0,
         shards: int = 1) -> dict[str, int]:
    """Fetch and store everything the hub lists for our bodies; acknowledge each.

    Work goes in batches (``HUB_POLL_BATCH`` packets, at most ``HUB_POLL_BATCH_BYTES``):
    one ``getEdocs`` call fetches a batch, one transaction stores it (a savepoint per
    packet, so one bad packet does not hold back the others), one ``updateStatuses``
    call acknowledges it and one more transaction notes the acknowledgements. With
    ``shards`` > 1 this poll only takes the packets whose hub docId hashes to ``shard``
    (the beat runs one poll per shard, so several worker processes receive in
    parallel). Only one poll per shard runs at a time on a host (a file lock in the
    instance folder): an overlapping beat tick returns at once with ``busy: 1``. A poll
    that stored something lists again straight away (up to ``HUB_POLL_DRAIN_SECONDS``), so
    a steady flow is received without waiting for the next tick.
    """
    counts = {"edoc": 0, "status": 0, "duplicate": 0, "failed": 0, "retry": 0, "busy": 0}
    with _poll_lock(shard) as locked:
        if not locked:
            counts["busy"] = 1
            return counts
        hub = client or hub_client()
        config = current_app.config
        size, limit = config.get("HUB_POLL_BATCH", 20), config.get("HUB_POLL_BATCH_BYTES",
                                                                   16 * 1024 * 1024)
        deadline = time.monotonic() + config.get("HUB_POLL_DRAIN_SECONDS", 30)
        while True:
            stored = 0
            lists = hub.get_received_lists(("edoc", "status"))
            for message_type in ("edoc", "status"):
                items = lists[message_type]
                if shards > 1:
                    items = [item for item in items
                             if zlib.crc32(str(item["docId"]).encode()) % shards == shard]
                for batch in _batches(items, size, limit):
                    for outcome in _receive_batch(hub, batch, message_type):
                        key = outcome if outcome in counts else message_type
                        counts[key] += 1
                        stored += key in ("edoc", "status")
            # more may have arrived meanwhile: list again at once rather than at the next
            # tick, while packets keep coming (and within HUB_POLL_DRAIN_SECONDS)
            if not stored or time.monotonic() >= deadline:
                return counts


@contextmanager
def _poll_lock(shard: int) -> Iterator[bool]:
    folder = Path(current_app.instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"hub-poll-{shard}.lock", "a+b") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _batches(items: list[dict[str, Any]], size: int,
             limit: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    total = 0
    for item in items:
        item_size = int(item.get("size") or 0)
        if batch and (len(batch) >= size or total + item_size > limit):
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += item_size
    if batch:
        yield batch


def _receive_batch(hub: HubClient, batch: list[dict[str, Any]], message_type: str) -> list[str]:
    """Store the new packets of one batch in one transaction, then acknowledge them."""
    keys = [(str(item["docId"]), str(item.get("to") or "")) for item in batch]
    known = {(doc_id, to): state for doc_id, to, state in db.session.execute(
        sa.select(InboxMessage.hub_doc_id, InboxMessage.to_code, InboxMessage.state)
        .where(InboxMessage.hub_doc_id.in_({doc_id for doc_id, _ in keys})))}
    db.session.rollback()  # end the read transaction before network I/O
    outcomes: list[str] = []
    acks: list[tuple[str, str, str | None]] = []
    fresh: list[tuple[dict[str, Any], str, str]] = []
    for item, (doc_id, to_code) in zip(batch, keys, strict=True):
        if (doc_id, to_code) in known:
            acks.append((doc_id, "fail" if known[doc_id, to_code] == "failed" else "done",
                         to_code))
            outcomes.append("duplicate")
        else:
            fresh.append((item, doc_id, to_code))
    raws: dict[str, bytes] = {}
    if fresh:
        try:
            raws = hub.get_edocs(sorted({doc_id for _, doc_id, _ in fresh}))
        except HubClientError as exc:
            # these items stay listed at the hub and come back next round
            log.warning("hub: %d packets not fetched this round: %s", len(fresh), exc)
    from eoffice.documents.keys import report_cache

    with report_cache():
        verify = bool(current_app.config.get("INCOMING_VERIFY_ON_ARRIVAL"))
        prepared = {doc_id: _prepare(raw) for doc_id, raw in raws.items()}
        if verify:
            _validate_pdfs([p.packet for p in prepared.values()
                            if isinstance(p.packet, edxml.EdocPacket)])
        stored = _store_batch(fresh, raws, prepared, message_type, outcomes)
    acks += stored
    if acks:
        try:
            applied = hub.update_statuses(acks)
        except HubClientError as exc:
            # still listed: the next round finds them known and acknowledges again
            log.warning("hub: %d acknowledgements not sent this round: %s", len(acks), exc)
            applied = set()
        if applied:
            with unit_of_work():
                db.session.execute(
                    sa.update(InboxMessage)
                    .where(sa.tuple_(InboxMessage.hub_doc_id, InboxMessage.to_code)
                           .in_(sorted(applied)), InboxMessage.acked_at.is_(None))
                    .values(acked_at=utcnow()))
    return outcomes


def _store_batch(fresh: list[tuple[dict[str, Any], str, str]], raws: dict[str, bytes],
                 prepared: dict[str, _Prepared], message_type: str,
                 outcomes: list[str]) -> list[tuple[str, str, str | None]]:
    """Store a batch in one transaction; the acknowledgements to send.

    First in one pass without savepoints, the batch's earlier arrivals of the same
    documents read with one query (two statements fewer per packet, and one duplicate
    check per batch instead of one per packet). If any packet fails, that pass is rolled
    back whole — its unit of work's after-commit work with it — and the batch is stored
    again with a savepoint per packet, so the failing packet is retried next round
    without holding back the others.
    """
    ready = [entry for entry in fresh if entry[1] in raws]
    try:
        with unit_of_work():
            earlier = _earlier_arrivals([prepared[doc_id].packet for _, doc_id, _ in ready])
            results = [_store_received(raws[doc_id], doc_id, to_code, message_type, item,
                                       prepared[doc_id], earlier)
                       for item, doc_id, to_code in ready]
    except Exception:
        log.info("hub: a packet of the batch could not be stored; storing them one by one")
        return _store_one_by_one(fresh, raws, prepared, message_type, outcomes)
    outcomes.extend(["retry"] * (len(fresh) - len(ready)) + results)
    return [(doc_id, "fail" if outcome == "failed" else "done", to_code)
            for (_, doc_id, to_code), outcome in zip(ready, results, strict=True)]


def _store_one_by_one(fresh: list[tuple[dict[str, Any], str, str]], raws: dict[str, bytes],
                      prepared: dict[str, _Prepared], message_type: str,
                      outcomes: list[str]) -> list[tuple[str, str, str | None]]:
    """One transaction, one savepoint per packet; the acknowledgements to send."""
    stored: list[tuple[str, str, str | None]] = []
    with unit_of_work():
        for item, doc_id, to_code in fresh:
            raw = raws.get(doc_id)
            if raw is None:
                outcomes.append("retry")
                continue
            try:
                with db.session.begin_nested():
                    outcome = _store_received(raw, doc_id, to_code, message_type, item,
                                              prepared[doc_id])
            except sa.exc.IntegrityError:
                outcome = "duplicate"  # another poller stored the same delivery first
            except Exception:
                log.exception("hub: packet %s could not be stored; retried next round", doc_id)
                outcomes.append("retry")
                continue
            outcomes.append(outcome)
            stored.append((doc_id, "fail" if outcome == "failed" else "done", to_code))
    return stored


def _earlier_arrivals(packets: list[edxml.EdocPacket | edxml.StatusPacket | None]
                      ) -> dict[tuple[str, str], set[str]]:
    """The hub docIds of the documents' arrivals already kept (not failed), by
    (DocumentId, body): one query for a batch's documents."""
    documents = sorted({packet.document_id for packet in packets
                        if isinstance(packet, edxml.EdocPacket)})
    earlier: dict[tuple[str, str], set[str]] = {}
    if documents:
        for document_id, to_code, hub_doc_id in db.session.execute(
                sa.select(InboxMessage.document_id, InboxMessage.to_code,
                          InboxMessage.hub_doc_id)
                .where(InboxMessage.document_id.in_(documents),
                       InboxMessage.message_type == "edoc", InboxMessage.state != "failed")):
            earlier.setdefault((document_id, to_code), set()).add(hub_doc_id)
    return earlier


@dataclass(frozen=True)
class _Prepared:
    """A fetched packet parsed, its XML signature checked and its bytes in the file store
    (outside any transaction)."""

    digest: str
    packet: edxml.EdocPacket | edxml.StatusPacket | None
    error: edxml.EdxmlError | None
    check: edxml.SignatureCheck | None


def _validate_pdfs(packets: list[edxml.EdocPacket]) -> None:
    """Validate the batch's PDFs before its transaction (filling the report cache):
    in the validation processes when configured, else here."""
    from eoffice.documents import verify_pool
    from eoffice.documents.keys import verify_pdf

    pdfs = [a.data for packet in packets for a in packet.attachments if a.data[:5] == b"%PDF-"]
    verify_pool.validate_all(pdfs)
    for data in pdfs:  # (answered from the cache when the pool did it)
        with suppress(Exception):  # the receiver verifies again and reports
            verify_pdf(data)


def _prepare(raw: bytes) -> _Prepared:
    """Parse a packet, check its XML signature and write it and its attachments to the
    file store.

    Done before the batch's transaction opens (as is the batch's PDF validation,
    :func:`_validate_pdfs`), so neither the CPU-heavy part of receiving nor the disk
    writes (each synced) happen while the transaction holds a lock: the audit chain's
    head is locked from the batch's first audit record on, and every audited action of
    the installation waits for it. The store is content-addressed, so the receivers'
    own ``put`` of an attachment inside the transaction finds the file and only hashes.
    """
    files = store()
    digest = files.put(raw)
    try:
        packet, tree = edxml.parse_packet_tree(raw)
    except edxml.EdxmlError as exc:
        return _Prepared(digest, None, exc, None)
    if isinstance(packet, edxml.EdocPacket):
        for attachment in packet.attachments:
            files.put(attachment.data)
    from eoffice.documents.keys import trust_roots

    roots = list(current_app.config.get("EDXML_TRUST_ROOTS") or []) + list(trust_roots())
    check = edxml.verify_packet_signature(raw, roots, root=tree)
    return _Prepared(digest, packet, None, check)


def _store_received(raw: bytes, doc_id: str, to_code: str, message_type: str,
                    item: dict[str, Any], prepared: _Prepared,
                    earlier: dict[tuple[str, str], set[str]] | None = None) -> str:
    """Store one received packet. ``earlier`` (:func:`_earlier_arrivals` of its batch,
    kept up to date here) answers the duplicate check; without it (a packet stored in a
    savepoint of its own, which may roll back) the document's arrivals are read now."""
    # "processed" from the start: the row is written once (a receiver that fails rolls
    # the packet's savepoint back; the failed and duplicate outcomes set their state)
    inbox = InboxMessage(hub_doc_id=doc_id, to_code=to_code, message_type=message_type,
                         from_code=str(item.get("from") or ""),
                         packet_digest=prepared.digest, state="processed")
    db.session.add(inbox)
    packet = prepared.packet
    if packet is None:
        exc = prepared.error
        assert exc is not None
        inbox.state = "failed"
        inbox.error = f"[{exc.code}] {exc.reason}"
        db.session.flush()
        audit.record(None, "interop.receive_failed", inbox, details={"error": inbox.error})
        return "failed"
    check = prepared.check
    assert check is not None
    inbox.signature_valid = check.valid if check.present else None
    inbox.signature_note = check.reason
    if isinstance(packet, edxml.StatusPacket):
        inbox.document_id = packet.response_for.document_id
        inbox.status_code = packet.status_code
        inbox.subject = packet.description[:500]
        db.session.flush()
        _apply_status(inbox, packet)
        for status_receiver in _STATUS_RECEIVERS:
            status_receiver(inbox, packet)
        return "status"
    inbox.document_id = packet.document_id
    inbox.subject = packet.subject[:500]
    # A revocation or an update (BussinessDocType 1/2) carries the DocumentId of the
    # document it acts on: it is not a second arrival of that document.
    if earlier is None:  # stored alone: this document's arrivals, asked now
        earlier = _earlier_arrivals([packet])
    arrived = earlier.setdefault((packet.document_id, to_code), set())
    duplicate = packet.business_doc_type in (0, 3) and bool(arrived - {doc_id})
    arrived.add(doc_id)  # for the batch's later packets
    db.session.flush()
    if duplicate:
        inbox.state = "duplicate"
        audit.record(None, "interop.duplicate", inbox,
                     details={"document_id": packet.document_id, "to": to_code})
        for duplicate_receiver in _DUPLICATE_RECEIVERS:
            duplicate_receiver(inbox, packet)
        return "duplicate"
    recorded = [receiver(inbox, packet) for receiver in _EDOC_RECEIVERS]
    if all(outcome is None for outcome in recorded):
        audit.record(None, "interop.received", inbox,
                     details={"document_id": packet.document_id, "from": inbox.from_code,
                              "to": to_code})
    if not _EDOC_RECEIVERS:
        _acknowledge_arrival(packet, to_code)
    return "edoc"


def _acknowledge_arrival(packet: edxml.EdocPacket, to_code: str) -> None:
    """Status 01: the receiving software got the document (sent at once)."""
    from eoffice.orgs.models import Organization

    body = db.session.execute(sa.select(Organization).where(Organization.code == to_code)
                              ).scalar_one_or_none()
    emit_status(
        sender=edxml.Organization(organ_id=to_code, organ_name=body.name if body else ""),
        response_for=response_for_packet(packet),
        status_code="01", description="Đã đến - phần mềm đã nhận, văn thư chưa xử lý",
        staff_department="Văn thư",
    )


def response_for_packet(packet: edxml.EdocPacket) -> edxml.ResponseFor:
    """The ResponseFor block that refers back to ``packet``."""
    return edxml.ResponseFor(organ_id=packet.sender.organ_id,
                             code=f"{packet.code_number}/{packet.code_notation}",
                             promulgation_date=packet.promulgation_date,
                             document_id=packet.document_id)


def _apply_status(inbox: InboxMessage, packet: edxml.StatusPacket) -> None:
    if packet.status_code == "13":
        return  # the issuer's take-back request: not a receiver's report on our document
    db.session.add(StatusEvent(
        document_id=packet.response_for.document_id, recipient_code=packet.sender.organ_id,
        status_code=packet.status_code, description=packet.description,
        staff=" - ".join(filter(None, [packet.staff_department, packet.staff_name])),
        reported_at=packet.timestamp, inbox_id=inbox.id))
    _set_delivery(packet.response_for.document_id, packet.sender.organ_id, packet.status_code,
                  packet.description, packet.timestamp)


def _set_delivery(document_id: str, code: str, status_code: str, description: str,
                  reported_at: datetime | None) -> None:
    row = db.session.execute(
        sa.select(DeliveryStatus).where(DeliveryStatus.document_id == document_id,
                                        DeliveryStatus.recipient_code == code)
    ).scalar_one_or_none()
    if row is None:
        row = DeliveryStatus(document_id=document_id, recipient_code=code)
        db.session.add(row)
    elif status_code and row.status_code and not _is_newer(row, status_code, reported_at):
        return
    row.status_code = status_code
    row.description = description
    row.reported_at = reported_at
    row.updated_at = utcnow()
    db.session.flush()


def _is_newer(row: DeliveryStatus, code: str, reported_at: datetime | None) -> bool:
    """Statuses can arrive out of order; keep the one reported last (then the later code)."""
    if reported_at is None or row.reported_at is None:
        return code >= row.status_code
    if reported_at != row.reported_at:
        return reported_at > row.reported_at
    return code >= row.status_code


def delivery_statuses(document_id: str) -> list[DeliveryStatus]:
    """Per recipient, the latest status of a document we sent."""
    return list(db.session.execute(
        sa.select(DeliveryStatus).where(DeliveryStatus.document_id == document_id)
        .order_by(DeliveryStatus.recipient_code)
    ).scalars())
