"""Errors the hub answers with, as the provincial hubs code them (DESIGN.md §5).

Every refusal is ``{"status": "FAIL", "ErrorCode": code, "ErrorDesc": desc}`` with an HTTP
status; the description is Vietnamese first, English after a slash.

| code | meaning | HTTP |
| --- | --- | --- |
| 10 | invalid file (attachment type/size) or invalid request parameter | 400 |
| 15 | authentication failed (unsigned, forged, replayed, skewed, wrong hash) | 401 |
| 18 | recipient not found (unknown body, or a docId not addressed to the caller) | 404 |
| 19 | sender not registered (a body the calling system does not own) | 403 |
| 20 | hub error (including the simulated failures of chaos mode) | 500 / 503 |
| 22 | edXML not conformant | 422 |
"""

from __future__ import annotations


class HubFailure(Exception):
    """A refused request: an error code, a Vietnamese-first description and an HTTP status."""

    code: str = "20"
    http_status: int = 500

    def __init__(self, desc: str, *, code: str | None = None, http_status: int | None = None):
        super().__init__(desc)
        self.desc = desc
        if code is not None:
            self.code = code
        if http_status is not None:
            self.http_status = http_status

    def to_json(self) -> dict[str, str]:
        """The JSON body of the refusal."""
        return {"status": "FAIL", "ErrorCode": self.code, "ErrorDesc": self.desc}


class InvalidFile(HubFailure):
    """Error 10: an attachment that is not allowed, or an invalid request parameter."""

    code = "10"
    http_status = 400


class AuthenticationFailed(HubFailure):
    """Error 15: the request is not authentically from a registered system."""

    code = "15"
    http_status = 401


class RecipientNotFound(HubFailure):
    """Error 18: a recipient body (or a packet for the caller) that the hub does not know."""

    code = "18"
    http_status = 404


class SenderNotRegistered(HubFailure):
    """Error 19: the sending body is not owned by the calling system."""

    code = "19"
    http_status = 403


class HubUnavailableError(HubFailure):
    """Error 20: the hub failed (or chaos mode pretends it did)."""

    code = "20"
    http_status = 503


class NotConformant(HubFailure):
    """Error 22: the packet is not conformant QCVN 102 edXML."""

    code = "22"
    http_status = 422


class DirectoryConflict(Exception):
    """A directory change that contradicts the directory (e.g. a body owned by another system)."""
