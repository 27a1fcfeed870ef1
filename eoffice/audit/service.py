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


_CANONICAL_FIELDS = ("seq", "at", "actor_id", "actor_name", "org_id", "action", "object_type",
                     "object_id", "client_addr", "details", "prev_hash")


def _canonical(row: Any) -> bytes:
    """What a row's hash covers: an ``AuditEvent`` or the values of one being written."""
    get = row.get if isinstance(row, dict) else lambda name: getattr(row, name)
    payload = {name: get(name) for name in _CANONICAL_FIELDS}
    payload["at"] = payload["at"].isoformat(timespec="microseconds")
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode()


def compute_hash(event: AuditEvent | dict[str, Any]) -> str:
    """The hash a row must carry (a stored ``AuditEvent`` or the values of one)."""
    return hashlib.sha256(_canonical(event)).hexdigest()


_EVENTS, _HEAD = AuditEvent.__table__, AuditHead.__table__


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    details: dict[str, Any] | None = None,
    org_id: int | None = None,
) -> None:
    """Append one event to the chain (inside the caller's transaction).

    Written with three plain statements on the session's connection — lock the head,
    insert the row, move the head — not through the ORM's unit of work: every state
    change writes an event, and a poll writes two per received packet. The head is read
    (FOR UPDATE) for every event, never remembered: another session on the same
    connection (a test's request next to its own session) may have moved it.
    """
    db.session.flush()  # ``obj`` gets its id; rows the event speaks of are written first
    conn = db.session.connection()
    head = conn.execute(
        sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1).with_for_update()
    ).first()
    if head is None:
        conn.execute(sa.insert(_HEAD).values(id=1, seq=0, hash=GENESIS))
        seq, prev_hash = 1, GENESIS
    else:
        seq, prev_hash = head.seq + 1, head.hash
    if org_id is None and actor is not None:
        org_id = getattr(actor, "org_id", None)
    values = {
        "seq": seq,
        "at": utcnow(),
        "actor_id": getattr(actor, "id", None),
        "actor_name": getattr(actor, "username", "") or "",
        "org_id": org_id,
        "action": action,
        "object_type": type(obj).__name__ if obj is not None else "",
        "object_id": str(getattr(obj, "id", "") or "") if obj is not None else "",
        "client_addr": client_address.get(),
        "details": json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        "prev_hash": prev_hash,
    }
    values["hash"] = compute_hash(values)
    conn.execute(sa.insert(_EVENTS), values)
    conn.execute(sa.update(_HEAD).where(_HEAD.c.id == 1),
                 {"seq": seq, "hash": values["hash"]})


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
    head = db.session.execute(sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == 1)).first()
    last_seq = head.seq if head else 0
    last_hash = head.hash if head else GENESIS
    if last_seq != checked or last_hash != expected_prev:
        return ChainReport(False, checked, checked + 1 if last_seq > checked else last_seq,
                           f"the chain ends at row {checked} but its head says {last_seq} "
                           "(rows were deleted from the end)")
    return ChainReport(True, checked)
