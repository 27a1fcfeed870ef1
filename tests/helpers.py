"""Helpers shared by the test modules (importable as ``helpers``)."""

from __future__ import annotations

import re
import socket
from typing import Any
from urllib.parse import urlparse

import pytest

from eoffice.config import require_services

PASSWORD = "mat-khau-123"


def service_available(url: str) -> bool:
    """Whether a TCP service answers at ``url``'s host and port."""
    parsed = urlparse(url.replace("postgresql+psycopg", "postgresql"))
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 5432), 2):
            return True
    except OSError:
        return False


def need_service(name: str, url: str | None) -> None:
    """Skip (or fail, when services are required) if a service is missing."""
    if url and service_available(url):
        return
    message = f"{name} is not available ({url or 'not configured'})"
    if require_services():
        pytest.fail(message + " but EOFFICE_REQUIRE_SERVICES=1")
    pytest.skip(message)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def make_scratch_app(url: str, instance: Any, **config: Any) -> Any:
    """A second app on ``url`` (migrated), outside the per-test rollback."""
    from eoffice import create_app
    from eoffice.core.schema import upgrade_database

    app = create_app({"ENV": "testing", "INSTANCE_PATH": str(instance), "SECRET_KEY": "scratch",
                      "SQLALCHEMY_DATABASE_URI": url, "STORAGE_DIR": str(instance / "files"),
                      **config})
    app.extensions["celery"].conf.broker_url = "memory://"
    with app.app_context():
        upgrade_database()
    return app
