"""HTTP endpoints of the hub (DESIGN.md §5): thin handlers over :mod:`eoffice.hub.service`.

Each API call goes: chaos draw (may delay, may fail before anything) → one transaction
that authenticates (remembering the signature), runs one service call and logs the
request → chaos may turn the answer into a 503 after the commit (a lost response). A
refused call rolls its transaction back; its signature (if it was authentic) and the
failure are then written in a second transaction, so a replay stays refused.
Parameters travel in headers, as the national axis SDK sends them.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from eoffice.hub import service
from eoffice.hub.auth import authenticate
from eoffice.hub.chaos import ChaosOutcome
from eoffice.hub.errors import HubFailure, HubUnavailableError, InvalidFile
from eoffice.hub.models import SeenSignature, System, utcnow
from eoffice.hub.state import HubState
from eoffice.interop import b64, framing

bp = Blueprint("hub", __name__)

Handler = Callable[[Session, System], "dict[str, Any] | Response"]



def _state() -> HubState:
    state: HubState = current_app.extensions["hub"]
    return state


def _ok(**payload: Any) -> dict[str, Any]:
    return {"status": "OK", "ErrorCode": "0", **payload}


def _run_api(endpoint: str, handler: Handler, *, changes_state: bool) -> tuple[Response, int]:
    state = _state()
    started = time.monotonic()
    systemid = request.headers.get("systemid")
    accepted: tuple[str, str] | None = None  # (systemid, signature) once authenticated
    logged = False
    try:
        outcome = state.chaos.draw(changes_state=changes_state)
        if outcome is ChaosOutcome.fail_before:
            raise HubUnavailableError(
                "Trục liên thông tạm thời không phục vụ được (mô phỏng lỗi) / "
                "hub temporarily unavailable (chaos)"
            )
        try:
            body = request.get_data(cache=True)
        except RequestEntityTooLarge as exc:
            raise InvalidFile(
                "Gói tin vượt quá dung lượng cho phép / packet too large", http_status=413
            ) from exc
        # One transaction: remember the signature, act, log the success (one commit).
        with state.sessions.begin() as session:
            system = authenticate(
                session,
                method=request.method,
                path=request.script_root + request.path,
                headers=request.headers,
                body=body,
                now=utcnow(),
                skew_seconds=state.skew_seconds,
            )
            accepted = (system.systemid, request.headers["signature"].lower())
            payload = handler(session, system)
            if outcome is not ChaosOutcome.fail_after:
                _log(session, systemid, endpoint, 200, "0", started)
                logged = True
        if outcome is ChaosOutcome.fail_after:
            raise HubUnavailableError(
                "Trục liên thông mất kết nối khi trả lời (mô phỏng lỗi) / "
                "response lost after the change was made (chaos)"
            )
        answer = payload if isinstance(payload, Response) else jsonify(payload)
        status, code = 200, "0"
    except HubFailure as failure:
        answer, status, code = jsonify(failure.to_json()), failure.http_status, failure.code
    except Exception:
        current_app.logger.exception("hub: %s failed", endpoint)
        failure = HubFailure("Lỗi hệ thống trục liên thông / internal hub error")
        answer, status, code = jsonify(failure.to_json()), 500, failure.code
    if not logged:
        with state.sessions.begin() as session:
            if accepted is not None:
                # The refused call's transaction was rolled back: keep its signature used.
                session.merge(SeenSignature(systemid=accepted[0], signature=accepted[1]))
            _log(session, systemid, endpoint, status, code, started)
    return answer, status


def _log(
    session: Session, systemid: str | None, endpoint: str, status: int, code: str, started: float
) -> None:
    service.log_request(
        session,
        systemid=systemid,
        endpoint=endpoint,
        http_status=status,
        error_code=code,
        duration_ms=int((time.monotonic() - started) * 1000),
    )


def _check_servicetype() -> None:
    value = request.headers.get("servicetype")
    if value and value.strip().lower() != "edoc":
        raise InvalidFile(f"servicetype '{value}' không được hỗ trợ (eDoc) / unsupported")


def _int_header(name: str, default: int) -> int:
    raw = request.headers.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise InvalidFile(f"Header {name} phải là số nguyên / {name} must be an integer") from exc


@bp.post("/sendEdoc")
def send_edoc() -> tuple[Response, int]:
    """Store a packet once and deliver it to its recipients (``DocId``)."""

    def handler(session: Session, system: System) -> dict[str, Any]:
        _check_servicetype()
        doc_id = service.send_packet(
            session,
            system,
            from_code=request.headers.get("from", ""),
            message_type=request.headers.get("messagetype", "edoc"),
            body=request.get_data(cache=True),
            settings=_state().settings,
        )
        return _ok(DocId=doc_id)

    return _run_api("sendEdoc", handler, changes_state=True)


@bp.post("/sendEdocs")
def send_edocs() -> tuple[Response, int]:
    """Several packets in one call: body ``{"items": [{"from", "messagetype", "data"}]}``.

    ``data`` is the packet in base64 — or, with ``Content-Type:
    application/vnd.eoffice.edocs`` (:mod:`eoffice.interop.framing`), the items carry
    ``size`` and the packets follow unencoded; at most 100 items. The whole body is bounded by
    ``HUB_MAX_PACKET_BYTES`` like every request (read before authentication; a bigger one
    is refused with error 10, HTTP 413, and the client then sends packet by packet).
    → ``data: [{"DocId"} | {"ErrorCode", "ErrorDesc"}]``, one per item in order:
    each item is stored exactly as ``sendEdoc`` stores it (same checks, same error codes,
    the same packet again answers the same DocId), in its own savepoint, so a refused
    item stores nothing and does not stop the others (an eoffice extension).
    """

    def handler(session: Session, system: System) -> dict[str, Any]:
        _check_servicetype()
        if request.mimetype == framing.MEDIA_TYPE:
            try:
                header, packets = framing.unframe(request.get_data(cache=True), "items")
            except ValueError as exc:
                raise InvalidFile(f"Khuôn dạng gói tin sai / malformed packet framing: {exc}"
                                  ) from exc
            items: Any = [dict(entry, data=packet)
                          for entry, packet in zip(header["items"], packets, strict=True)]
        else:
            payload = _json_body()
            items = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise InvalidFile("items phải là danh sách / items must be a list")
        return _ok(data=service.send_packets(session, system, items, settings=_state().settings))

    return _run_api("sendEdocs", handler, changes_state=True)


@bp.post("/getReceivedEdocList")
def get_received_edoc_list() -> tuple[Response, int]:
    """Unacknowledged packets (``messagetype`` edoc or status) for the caller's bodies."""

    def handler(session: Session, system: System) -> dict[str, Any]:
        _check_servicetype()
        data = service.list_received(
            session,
            system,
            request.headers.get("messagetype", "edoc"),
            settings=_state().settings,
        )
        return _ok(data=data)

    return _run_api("getReceivedEdocList", handler, changes_state=False)


@bp.post("/getEdoc")
def get_edoc() -> tuple[Response, int]:
    """One stored packet, base64 in ``data``."""

    def handler(session: Session, system: System) -> dict[str, Any]:
        data = service.get_packet(session, system, request.headers.get("docId", ""))
        return _ok(data=b64.encode(data))

    return _run_api("getEdoc", handler, changes_state=False)


def _json_body() -> Any:
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except ValueError as exc:
        raise InvalidFile("Nội dung không phải JSON / body is not JSON") from exc


@bp.post("/getEdocs")
def get_edocs() -> tuple[Response, int]:
    """Several stored packets in one call: body ``{"docIds": [...]}`` (at most 100).

    → ``data: [{"docId", "data": base64}]`` for the packets the caller may read and
    ``missing: [docId]`` for the others (an eoffice extension of the axis API). A client
    that sends ``Accept: application/vnd.eoffice.edocs`` gets the packets unencoded
    instead (:mod:`eoffice.interop.framing`; entries carry ``size``, not ``data``).
    """

    def handler(session: Session, system: System) -> dict[str, Any] | Response:
        payload = _json_body()
        doc_ids = payload.get("docIds") if isinstance(payload, dict) else None
        if not isinstance(doc_ids, list) or not all(isinstance(i, str) for i in doc_ids):
            raise InvalidFile("docIds phải là danh sách chuỗi / docIds must be a list of strings")
        found = service.get_packets(session, system, doc_ids)
        missing = [i for i in doc_ids if i not in found]
        if framing.MEDIA_TYPE in request.headers.get("Accept", ""):
            body = framing.frame(_ok(missing=missing), "data",
                                 [{"docId": doc_id} for doc_id in found], list(found.values()))
            return Response(body, mimetype=framing.MEDIA_TYPE)
        data = [{"docId": doc_id, "data": b64.encode(raw)}
                for doc_id, raw in found.items()]
        return _ok(data=data, missing=missing)

    return _run_api("getEdocs", handler, changes_state=False)


@bp.post("/updateStatuses")
def update_statuses() -> tuple[Response, int]:
    """Several acknowledgements in one call: body ``{"items": [{"docId", "status", "to"}]}``.

    → ``data: [{"docId", "to", "updated", "ErrorCode"[, "ErrorDesc"]}]``, one per item; a
    refused item changes nothing and does not stop the others (an eoffice extension).
    """

    def handler(session: Session, system: System) -> dict[str, Any]:
        payload = _json_body()
        items = payload.get("items") if isinstance(payload, dict) else None
        if not isinstance(items, list):
            raise InvalidFile("items phải là danh sách / items must be a list")
        return _ok(data=service.update_statuses(session, system, items))

    return _run_api("updateStatuses", handler, changes_state=True)


@bp.post("/updateStatus")
def update_status() -> tuple[Response, int]:
    """The receiver's hub-level acknowledgement (``status: done|fail``, optional ``to``)."""

    def handler(session: Session, system: System) -> dict[str, Any]:
        count = service.update_status(
            session,
            system,
            request.headers.get("docId", ""),
            request.headers.get("status", ""),
            to=request.headers.get("to") or None,
        )
        return _ok(updated=count)

    return _run_api("updateStatus", handler, changes_state=True)


@bp.post("/getSentEdocList")
def get_sent_edoc_list() -> tuple[Response, int]:
    """What the caller sent, one entry per receiver with its ack and latest status."""

    def handler(session: Session, system: System) -> dict[str, Any]:
        data = service.list_sent(
            session,
            system,
            page=_int_header("pageIndex", 1),
            page_size=_int_header("pageSize", 100),
        )
        return _ok(data=data)

    return _run_api("getSentEdocList", handler, changes_state=False)


@bp.get("/getAgenciesList")
def get_agencies_list() -> tuple[Response, int]:
    """The directory of bodies."""

    def handler(session: Session, system: System) -> dict[str, Any]:
        return _ok(data=service.list_agencies(session))

    return _run_api("getAgenciesList", handler, changes_state=False)


@bp.get("/admin")
def admin() -> Response | tuple[Response, int] | str:
    """Traffic, pending deliveries per body and failures (HTTP basic auth)."""
    state = _state()
    if not state.admin_password:
        abort(404)
    auth = request.authorization
    given_user = (auth.username or "") if auth else ""
    given_password = (auth.password or "") if auth else ""
    user_ok = hmac.compare_digest(given_user.encode(), state.admin_user.encode())
    password_ok = hmac.compare_digest(given_password.encode(), state.admin_password.encode())
    if not (user_ok and password_ok):
        response = Response(
            "Cần đăng nhập quản trị trục liên thông / admin login required",
            status=401,
            mimetype="text/plain",
        )
        response.headers["WWW-Authenticate"] = 'Basic realm="hub", charset="UTF-8"'
        return response
    with state.sessions.begin() as session:
        summary = service.traffic_summary(session)
        return render_template("hub/admin.html", s=summary, chaos=state.chaos)


@bp.app_errorhandler(HTTPException)
def http_error(exc: HTTPException) -> tuple[Response, int]:
    """Answer routing errors (404, 405...) in the hub's JSON error shape."""
    status = exc.code or 500
    failure = HubFailure(f"{exc.name} / {exc.description}", code="20" if status >= 500 else "10")
    return jsonify(failure.to_json()), status
