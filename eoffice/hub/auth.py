"""Request authentication of the hub API (DESIGN.md §5).

Every call carries the headers ``systemid``, ``timestamp`` (ISO 8601 in UTC, e.g.
``2026-11-26T03:38:27.123456Z``), ``hash-file`` (SHA-256 hex of the request body, of the
empty string when there is none) and ``signature``, the hex HMAC-SHA256 under the
system's secret of::

    METHOD \\n PATH \\n systemid \\n timestamp \\n hash-file

PATH is the path the client called, including the mount prefix when the hub runs under
eoffice at ``/hub`` (``request.script_root + request.path``, e.g. ``/hub/sendEdoc``); a
standalone hub at ``HUB_URL=http://host:port`` sees ``/sendEdoc``. The query string is not
signed (the API takes its parameters in headers).

A request is refused with error 15 (HTTP 401) when a header is missing, the timestamp is
more than ``HUB_AUTH_SKEW_SECONDS`` (300) away from the hub's clock, the body does not
hash to ``hash-file``, the systemid is unknown or inactive, the signature does not match,
or the same (systemid, signature) was already accepted: signatures are remembered for
twice the skew window, so a captured request can never be replayed (after the window its
timestamp is refused anyway). A client therefore signs every attempt afresh, with a new
timestamp at microsecond resolution.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from eoffice.hub.db import OWNED_CODES, insert_ignoring_duplicates
from eoffice.hub.errors import AuthenticationFailed
from eoffice.hub.models import Agency, SeenSignature, System

AUTH_HEADERS = ("systemid", "timestamp", "hash-file", "signature")


def body_hash(body: bytes) -> str:
    """SHA-256 hex of a request body (of ``b""`` when there is none)."""
    return hashlib.sha256(body).hexdigest()


def string_to_sign(method: str, path: str, systemid: str, timestamp: str, hash_file: str) -> str:
    """The canonical string the request signature covers."""
    return "\n".join((method.upper(), path, systemid, timestamp, hash_file))


def compute_signature(
    secret: str, method: str, path: str, systemid: str, timestamp: str, hash_file: str
) -> str:
    """Hex HMAC-SHA256 of the canonical string under ``secret``."""
    message = string_to_sign(method, path, systemid, timestamp, hash_file)
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp that carries its offset (``Z`` or ``+00:00``)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise AuthenticationFailed(
            "Thời điểm (timestamp) không đúng định dạng ISO 8601 / malformed timestamp"
        ) from exc
    if parsed.tzinfo is None:
        raise AuthenticationFailed(
            "Thời điểm (timestamp) phải có múi giờ (UTC) / timestamp lacks a UTC offset"
        )
    return parsed


def authenticate(
    session: Session,
    *,
    method: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    skew_seconds: int,
) -> System:
    """Check a request's authentication headers; return the calling system or raise error 15."""
    missing = [name for name in AUTH_HEADERS if not headers.get(name)]
    if missing:
        raise AuthenticationFailed(
            "Thiếu thông tin xác thực: " + ", ".join(missing) + " / missing auth headers"
        )
    systemid = headers["systemid"]
    timestamp = headers["timestamp"]
    hash_file = headers["hash-file"].lower()
    signature = headers["signature"].lower()
    when = parse_timestamp(timestamp)
    if abs((now - when).total_seconds()) > skew_seconds:
        raise AuthenticationFailed(
            f"Thời điểm yêu cầu lệch quá {skew_seconds} giây / timestamp outside the "
            f"{skew_seconds} s window"
        )
    if not hmac.compare_digest(hash_file, body_hash(body)):
        raise AuthenticationFailed(
            "Mã băm nội dung (hash-file) không khớp / hash-file does not match the body"
        )
    # The caller and the codes of its active bodies in one query (the operations that
    # follow need them: owned_codes() reads them from the transaction's cache).
    rows = session.execute(
        select(System, Agency.code)
        .outerjoin(Agency, (Agency.system_id == System.id) & Agency.active.is_(True))
        .where(System.systemid == systemid)
    ).all()
    system = rows[0][0] if rows else None
    if system is None or not system.active:
        raise AuthenticationFailed(
            "Hệ thống chưa đăng ký hoặc đã bị khóa / unknown or inactive systemid"
        )
    expected = compute_signature(system.secret, method, path, systemid, timestamp, hash_file)
    if not hmac.compare_digest(signature, expected):
        raise AuthenticationFailed("Chữ ký yêu cầu không đúng / invalid request signature")
    session.info.setdefault(OWNED_CODES, {})[system.id] = frozenset(
        code for _, code in rows if code is not None
    )
    remember_signature(session, systemid, signature, now=now, skew_seconds=skew_seconds)
    return system


PURGE_EVERY_SECONDS = 5.0
_last_purge: dict[int, float] = {}


def remember_signature(
    session: Session, systemid: str, signature: str, *, now: datetime, skew_seconds: int
) -> None:
    """Record an accepted signature; raise error 15 if it was already used (a replay).

    Signatures older than twice the skew window are forgotten (their timestamps are
    refused anyway) — at most once every few seconds per process, not on every request.
    """
    key = id(session.get_bind())
    if _last_purge.get(key, 0.0) + PURGE_EVERY_SECONDS <= time.monotonic():
        _last_purge[key] = time.monotonic()
        session.execute(
            delete(SeenSignature).where(
                SeenSignature.seen_at < now - timedelta(seconds=2 * skew_seconds)
            )
        )
    # One INSERT … ON CONFLICT DO NOTHING (no SAVEPOINT): no row inserted = seen before.
    inserted = insert_ignoring_duplicates(
        session,
        SeenSignature.__table__,
        {"systemid": systemid, "signature": signature, "seen_at": now},
        ("systemid", "signature"),
        returning="systemid",
    ).first()
    if inserted is None:
        raise AuthenticationFailed("Yêu cầu đã được gửi trước đó (phát lại) / replayed request")
