"""The one HTTP client eoffice uses to reach the interconnection hub (DESIGN.md §5).

Every call is signed afresh (new timestamp, so a retry is never refused as a replay):
headers ``systemid``, ``timestamp`` (ISO 8601 UTC with microseconds), ``hash-file``
(SHA-256 hex of the body, of ``b""`` when there is none) and ``signature`` = hex
HMAC-SHA256(secret, ``METHOD\\nPATH\\nsystemid\\ntimestamp\\nhash-file``), where PATH is
the path of the URL actually called — ``/hub/sendEdoc`` when ``base_url`` ends in
``/hub``. The client deliberately does not import the hub: it speaks only the protocol.

Errors are split by what the caller (the transactional outbox) should do next:

- :class:`HubUnavailable` — network error, timeout, HTTP 5xx (hub error 20, including
  chaos mode) or an answer that is not the hub's JSON: **retry** later (safe: sending the
  same bytes again returns the same DocId, acknowledging twice is a no-op);
- :class:`HubError` — the hub refused the request (HTTP 4xx with an error code: 10, 15,
  18, 19, 22): retrying the same request will not help.

Both derive from :class:`HubClientError`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx

from eoffice.interop import b64, framing

__all__ = ["HubClient", "HubClientError", "HubError", "HubUnavailable"]


class HubClientError(Exception):
    """Base of the hub client's errors."""

    retryable: bool = False


class HubError(HubClientError):
    """The hub refused the request (final: do not retry the same request)."""

    retryable = False

    def __init__(self, code: str, desc: str, http_status: int):
        super().__init__(f"[{code}] {desc} (HTTP {http_status})")
        self.code = code
        self.desc = desc
        self.http_status = http_status


class HubUnavailable(HubClientError):
    """The hub could not be reached or failed (retry later)."""

    retryable = True

    def __init__(self, reason: str, http_status: int | None = None, code: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.http_status = http_status
        self.code = code


class HubClient:
    """A signed client for one connected system (``systemid`` + ``secret``)."""

    def __init__(
        self,
        base_url: str,
        systemid: str,
        secret: str,
        *,
        timeout: float = 10,
        transport: httpx.BaseTransport | None = None,
    ):
        self.base_url = base_url.rstrip("/")
        self.systemid = systemid
        self._secret = secret.encode()
        self._prefix = urlsplit(self.base_url).path.rstrip("/")
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._batch = True  # the hub has getEdocs / updateStatuses (eoffice's own hub does)
        self._batch_send = True  # ... and sendEdocs
        self._combined_list = True  # ... and lists several message types in one call

    def __enter__(self) -> HubClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the underlying HTTP connections."""
        self._http.close()

    # --- API -------------------------------------------------------------------------

    def send_edoc(self, packet_bytes: bytes, from_code: str, messagetype: str = "edoc") -> str:
        """Send a packet as body ``from_code``; return the hub's DocId."""
        answer = self._call(
            "POST",
            "sendEdoc",
            body=packet_bytes,
            headers={
                "from": from_code,
                "servicetype": "eDoc",
                "messagetype": messagetype,
                "Content-Type": "application/octet-stream",
            },
        )
        doc_id = answer.get("DocId")
        if not isinstance(doc_id, str) or not doc_id:
            raise HubUnavailable("Trục không trả về DocId / hub answered without a DocId")
        return doc_id

    def send_edocs(self, items: list[tuple[bytes, str, str]]) -> list[str | HubError]:
        """Send several ``(packet, from_code, messagetype)`` in one call (``sendEdocs``).

        Returns, per item in order, its DocId or the :class:`HubError` the hub refused it
        with (the item was not stored). Sending the same batch again is safe: packets
        already stored answer their first DocId. A hub without the batch endpoint (404/405)
        is sent one ``sendEdoc`` per item from then on; a batch refused as too large (413)
        goes packet by packet. Transport errors (:class:`HubUnavailable`) and refusals of
        the whole call raise, as for ``send_edoc``.
        """
        if not items:
            return []
        if self._batch_send:
            body = b"".join(framing.frame(
                {}, "items", [{"from": from_code, "messagetype": messagetype}
                              for _, from_code, messagetype in items],
                [packet for packet, _, _ in items]))
            try:
                answer = self._call("POST", "sendEdocs", body=body,
                                    headers={"servicetype": "eDoc",
                                             "Content-Type": framing.MEDIA_TYPE})
            except HubError as exc:
                if exc.http_status in (404, 405):
                    self._batch_send = False
                elif exc.http_status != 413 or len(items) == 1:
                    raise
            else:
                entries = _data_list(answer)
                if len(entries) != len(items):
                    raise HubUnavailable(
                        "Trục trả lời sai số gói tin / hub answered for another number of items")
                return [_send_result(entry) for entry in entries]
        results: list[str | HubError] = []
        for packet, from_code, messagetype in items:
            try:
                results.append(self.send_edoc(packet, from_code, messagetype))
            except HubError as exc:
                results.append(exc)
        return results

    def get_received_list(self, messagetype: str = "edoc") -> list[dict[str, Any]]:
        """Packets (``edoc`` or ``status``) waiting for the system's bodies."""
        answer = self._call(
            "POST",
            "getReceivedEdocList",
            headers={"servicetype": "eDoc", "messagetype": messagetype},
        )
        return _data_list(answer)

    def get_received_lists(self, messagetypes: Sequence[str] = ("edoc", "status")
                           ) -> dict[str, list[dict[str, Any]]]:
        """The packets waiting for the system's bodies, by message type.

        One call where the hub lists several types at once (eoffice's hub:
        ``messagetype: edoc,status``, each entry saying its ``messageType``); a hub that
        refuses that (the national axis lists one type per call) is asked once per type
        from then on.
        """
        if self._combined_list and len(messagetypes) > 1:
            try:
                entries = self.get_received_list(",".join(messagetypes))
            except HubError as exc:
                if exc.http_status not in (400, 404, 405):
                    raise
                self._combined_list = False
            else:
                lists: dict[str, list[dict[str, Any]]] = {kind: [] for kind in messagetypes}
                for entry in entries:
                    kind = str(entry.get("messageType") or "").strip().lower()
                    if kind not in lists:
                        raise HubUnavailable(
                            "Trục trả về gói tin không rõ loại / list entry of unknown type")
                    lists[kind].append(entry)
                return lists
        return {kind: self.get_received_list(kind) for kind in messagetypes}

    def get_edoc(self, doc_id: str) -> bytes:
        """The packet bytes of ``doc_id`` (as stored by the hub, its trace appended)."""
        answer = self._call("POST", "getEdoc", headers={"docId": doc_id})
        data = answer.get("data")
        if not isinstance(data, str):
            raise HubUnavailable("Trục trả về gói tin rỗng / hub answered without data")
        try:
            return b64.decode(data)
        except ValueError as exc:  # (binascii.Error is one)
            raise HubUnavailable("Gói tin base64 hỏng / malformed base64 from hub") from exc

    def get_edocs(self, doc_ids: list[str]) -> dict[str, bytes]:
        """Several packets in one call (``getEdocs``); ids the hub did not return are absent.

        A hub without the batch endpoint (the national axis) is asked packet by packet.
        """
        if not doc_ids:
            return {}
        if self._batch:
            try:
                response = self._request(
                    "POST", "getEdocs", body=_json({"docIds": doc_ids}),
                    headers={"Content-Type": "application/json", "Accept": framing.MEDIA_TYPE})
                if response.status_code == 200 and response.headers.get(
                        "content-type", "").startswith(framing.MEDIA_TYPE):
                    return _unframed_packets(response.content)
                answer = self._answer(response)
            except HubError as exc:
                if exc.http_status not in (404, 405):
                    raise
                self._batch = False
            else:
                found: dict[str, bytes] = {}
                for entry in _data_list(answer):
                    try:
                        found[str(entry["docId"])] = b64.decode(entry["data"])
                    except (KeyError, TypeError, ValueError) as exc:
                        raise HubUnavailable(
                            "Gói tin base64 hỏng / malformed base64 from hub") from exc
                return found
        found = {}
        for doc_id in doc_ids:
            try:
                found[doc_id] = self.get_edoc(doc_id)
            except HubError:
                continue  # not (or no longer) readable: left out, like getEdocs does
        return found

    def update_statuses(self, items: list[tuple[str, str, str | None]]) -> set[tuple[str, str]]:
        """Acknowledge several ``(doc_id, status, to)`` in one call (``updateStatuses``).

        Returns the ``(doc_id, to)`` pairs the hub applied; a hub without the batch endpoint
        is sent one ``updateStatus`` per item.
        """
        if not items:
            return set()
        if self._batch:
            body = {"items": [{"docId": d, "status": s, "to": t or ""} for d, s, t in items]}
            try:
                answer = self._call("POST", "updateStatuses", body=_json(body),
                                    headers={"Content-Type": "application/json"})
            except HubError as exc:
                if exc.http_status not in (404, 405):
                    raise
                self._batch = False
            else:
                return {(str(e.get("docId")), str(e.get("to") or ""))
                        for e in _data_list(answer) if str(e.get("ErrorCode")) == "0"}
        done = set()
        for doc_id, status, to in items:
            try:
                self.update_status(doc_id, status, to=to)
            except HubError:
                continue
            done.add((doc_id, to or ""))
        return done

    def update_status(self, doc_id: str, status: str, *, to: str | None = None) -> int:
        """Acknowledge a received packet (``done`` or ``fail``); return deliveries updated."""
        headers = {"docId": doc_id, "status": status}
        if to:
            headers["to"] = to
        answer = self._call("POST", "updateStatus", headers=headers)
        return int(answer.get("updated", 0))

    def get_sent_list(self, *, page: int = 1, page_size: int = 100) -> list[dict[str, Any]]:
        """What the system's bodies sent, one entry per receiver with its latest status."""
        answer = self._call(
            "POST",
            "getSentEdocList",
            headers={"pageIndex": str(page), "pageSize": str(page_size)},
        )
        return _data_list(answer)

    def get_agencies(self) -> list[dict[str, Any]]:
        """The hub's directory of bodies."""
        return _data_list(self._call("GET", "getAgenciesList"))

    # --- plumbing --------------------------------------------------------------------

    def signed_headers(self, method: str, path: str, body: bytes) -> dict[str, str]:
        """The four authentication headers for one request."""
        timestamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        hash_file = hashlib.sha256(body).hexdigest()
        message = "\n".join((method.upper(), path, self.systemid, timestamp, hash_file))
        signature = hmac.new(self._secret, message.encode(), hashlib.sha256).hexdigest()
        return {
            "systemid": self.systemid,
            "timestamp": timestamp,
            "hash-file": hash_file,
            "signature": signature,
        }

    def _call(
        self,
        method: str,
        endpoint: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        return self._answer(self._request(method, endpoint, body=body, headers=headers))

    def _request(
        self,
        method: str,
        endpoint: str,
        *,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = f"{self.base_url}/{endpoint}"
        all_headers = {
            **(headers or {}),
            **self.signed_headers(method, f"{self._prefix}/{endpoint}", body),
        }
        try:
            response = self._http.request(method, url, content=body or None, headers=all_headers)
        except httpx.TimeoutException as exc:
            raise HubUnavailable(f"Hết thời gian chờ trục liên thông / hub timeout: {exc}") from exc
        except httpx.TransportError as exc:
            raise HubUnavailable(
                f"Không kết nối được trục liên thông / hub unreachable: {exc}"
            ) from exc
        return response

    @staticmethod
    def _answer(response: httpx.Response) -> dict[str, Any]:
        """The hub's JSON answer, or the error it stands for."""
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            raise HubUnavailable(
                f"Trục trả lời không phải JSON (HTTP {response.status_code}) / non-JSON answer",
                http_status=response.status_code,
            )
        code = str(answer.get("ErrorCode", ""))
        desc = str(answer.get("ErrorDesc", ""))
        if response.status_code >= 500:
            raise HubUnavailable(
                desc or "Lỗi trục liên thông / hub error", response.status_code, code or None
            )
        if response.status_code >= 400 or answer.get("status") != "OK":
            raise HubError(
                code or "20", desc or "Trục từ chối yêu cầu / refused", response.status_code
            )
        return answer


def _unframed_packets(content: bytes) -> dict[str, bytes]:
    """Packets by docId from a getEdocs answer in the packet framing."""
    try:
        header, packets = framing.unframe(content, "data")
        if header.get("status") != "OK":
            raise ValueError("not an OK answer")
        return {str(entry["docId"]): packet
                for entry, packet in zip(header["data"], packets, strict=True)}
    except (ValueError, KeyError) as exc:
        raise HubUnavailable("Trục trả về gói tin không đúng khuôn dạng / malformed "
                             "packet framing from hub") from exc


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _send_result(entry: Any) -> str | HubError:
    """One ``sendEdocs`` entry: the DocId, or the refusal of that item."""
    if not isinstance(entry, dict):
        raise HubUnavailable("Trục trả lời không hợp lệ / malformed sendEdocs entry")
    doc_id = entry.get("DocId")
    if isinstance(doc_id, str) and doc_id:
        return doc_id
    code = str(entry.get("ErrorCode") or "")
    if not code or code == "0":
        raise HubUnavailable("Trục không trả về DocId / hub answered without a DocId")
    # The whole call succeeded (HTTP 200); this item alone was refused.
    return HubError(code, str(entry.get("ErrorDesc") or "Trục từ chối gói tin / refused"), 200)


def _data_list(answer: dict[str, Any]) -> list[dict[str, Any]]:
    data = answer.get("data")
    if not isinstance(data, list):
        raise HubUnavailable("Trục trả về danh sách không hợp lệ / malformed list from hub")
    return data
