"""Writing and verifying the audit chain."""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from eoffice.audit.models import GENESIS, AuditEvent, AuditHead
from eoffice.core.db import utcnow
from eoffice.extensions import db

# The entry point (web request, API call, CLI command, task) says where the action
# came from; services never read the request themselves.
client_address: ContextVar[str] = ContextVar("eoffice_client_address", default="")


def _canonical(event: AuditEvent) -> bytes:
    payload = {
        "seq": event.seq,
        "at": event.at.isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "org_id": event.org_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "client_addr": event.client_addr,
        "details": event.details,
        "prev_hash": event.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()


def compute_hash(event: AuditEvent) -> str:
    """The hash a row must carry."""
    return hashlib.sha256(_canonical(event)).hexdigest()


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    details: dict[str, Any] | None = None,
    org_id: int | None = None,
) -> AuditEvent:
    """Append one event to the chain (inside the caller's transaction)."""
    head = _lock_head()
    object_type = type(obj).__name__ if obj is not None else ""
    object_id = str(getattr(obj, "id", "") or "") if obj is not None else ""
    if org_id is None and actor is not None:
        org_id = getattr(actor, "org_id", None)
    event = AuditEvent(
        seq=head.seq + 1,
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "username", "") or "",
        org_id=org_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        client_addr=client_address.get(),
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        prev_hash=head.hash,
    )
    event.hash = compute_hash(event)
    head.seq = event.seq
    head.hash = event.hash
    db.session.add(event)
    db.session.flush()
    return event


def _lock_head() -> AuditHead:
    """The chain's head row, locked until the transaction ends (created on first use).

    Read again for every event, not remembered for the transaction: another session on
    the same connection (a test's request next to its own session) may have moved it.
    """
    head = db.session.execute(
        sa.select(AuditHead).where(AuditHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditHead(id=1, seq=0, hash=GENESIS)
        db.session.add(head)
    return head


@dataclass(frozen=True)
class ChainReport:
    """Outcome of verifying the chain."""

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain() -> ChainReport:
    """Recompute the chain; report the first edited, inserted or deleted row."""
    expected_prev = GENESIS
    expected_seq = 1
    checked = 0
    rows = db.session.execute(sa.select(AuditEvent).order_by(AuditEvent.seq)).scalars()
    for event in rows:
        if event.seq != expected_seq:
            kind = "deleted" if event.seq > expected_seq else "inserted"
            return ChainReport(False, checked, expected_seq,
                               f"row {expected_seq} {kind} (found seq {event.seq})")
        if event.prev_hash != expected_prev:
            return ChainReport(False, checked, event.seq,
                               f"row {event.seq} does not link to row {event.seq - 1} "
                               "(a row before it was deleted, inserted or edited)")
        if compute_hash(event) != event.hash:
            return ChainReport(False, checked, event.seq, f"row {event.seq} was edited")
        expected_prev = event.hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditHead, 1)
    last_seq = head.seq if head else 0
    last_hash = head.hash if head else GENESIS
    if last_seq != checked or last_hash != expected_prev:
        return ChainReport(False, checked, checked + 1 if last_seq > checked else last_seq,
                           f"the chain ends at row {checked} but its head says {last_seq} "
                           "(rows were deleted from the end)")
    return ChainReport(True, checked)
