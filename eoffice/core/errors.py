"""Domain errors. Services raise these; one handler (``core.http``) maps them to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: ``code`` is stable for API clients, ``message`` is shown to people."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"


class StorageCorrupted(DomainError):
    """A stored file no longer matches its checksum."""

    status = 500
    code = "storage_corrupted"
