"""Locale selection (Vietnamese first, English second) and translated domain error messages.

On web pages the account's saved language wins, then the session's choice (the header's
language switch), then the browser's ``Accept-Language``. Browsers send that header on every
request whatever the person chose, so on the web it comes last. On the JSON API (``/api/``)
a program sends ``Accept-Language`` deliberately, so there a supported language in the header
comes first, then the account's language; without either, Vietnamese.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app, request, session
from flask_babel import get_locale, gettext
from flask_login import current_user

from eoffice.core.errors import DomainError, Translatable


def select_locale() -> str:
    """The language of this request (see the module doc for the order)."""
    languages = current_app.config["LANGUAGES"]
    if request.path.startswith("/api/"):
        asked = request.accept_languages.best_match(languages)
        if asked:
            return asked
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or "vi"


def translate(template: str, params: Mapping[str, Any] | None = None) -> str:
    """``_(template, **params)`` in the request's language, translating
    :class:`~eoffice.core.errors.Translatable` parameters as well."""
    if not params:
        return gettext(template)
    return gettext(template, **{key: _parameter(value) for key, value in params.items()})


def error_message(exc: DomainError) -> str:
    """A domain error's message in the request's language."""
    return translate(exc.template, exc.params)


def _parameter(value: Any) -> Any:
    if not isinstance(value, Translatable):
        return value
    if value.english is not None:
        locale = get_locale()
        return value.english if locale is not None and locale.language == "en" else str(value)
    return translate(value.template, value.params)
