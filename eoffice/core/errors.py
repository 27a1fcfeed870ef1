"""Domain errors. Services raise these; one handler (``core.http``) maps them to HTTP.

A message is a Vietnamese template with named placeholders, never an f-string, so that it
can have a catalogue entry and be shown in the reader's language::

    raise Conflict("Văn bản %(code)s đã bị thu hồi.", params={"code": code})

``template`` is the literal (the catalogue msgid), ``params`` the values and ``message``
the formatted Vietnamese text (for API clients, logs, the CLI). Services never translate:
they also run outside requests. Display sites call ``eoffice.i18n.error_message(exc)``,
which is ``_(exc.template, **exc.params)`` with :class:`Translatable` parameters translated
too. A parameter that is itself text for people (a status name, "Tệp đính kèm", a signing
library explanation) is wrapped in :class:`Translatable`; plain values (codes, numbers,
names people typed) are shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Translatable(str):
    """A message parameter that is text for people, translated along with its message.

    Its string value is the Vietnamese text. Either a catalogue template with its own named
    parameters — ``Translatable("Tệp đính kèm “%(name)s”", name=name)``, the extractor
    collects the literal — or a text from outside the catalogue that brings its English
    along — ``Translatable(exc.message_vi, en=exc.message_en)``.
    """

    template: str
    params: dict[str, Any]
    english: str | None

    def __new__(cls, template: str, *, en: str | None = None, **params: Any) -> Translatable:
        self = super().__new__(cls, template % params if params else template)
        self.template, self.params, self.english = template, params, en
        return self


class DomainError(Exception):
    """Base class: ``code`` is stable for API clients, ``message`` is shown to people.

    ``message`` is ``template % params`` (or ``template`` without params), in Vietnamese.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, params: Mapping[str, Any] | None = None,
                 details: dict[str, Any] | None = None) -> None:
        self.template = message
        self.params = dict(params or {})
        self.message = message % self.params if self.params else message
        super().__init__(self.message)
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
