"""The simulated government interconnection hub (trục liên thông), DESIGN.md §5.

A Flask application of its own, with its own tables (``hub_*``), its own directory of
bodies and connected systems, reached by eoffice only over HTTP
(:mod:`eoffice.interop.hub_client`). It runs mounted at ``/hub`` inside ``make run``
(e.g. ``DispatcherMiddleware(app.wsgi_app, {"/hub": create_hub_app(...)})``) or
standalone (``flask --app 'eoffice.hub:create_hub_app()' run -p 5001``, or gunicorn), with
eoffice's ``HUB_URL`` pointing at it. Its routes are at the root of whatever it is mounted
on; request signatures cover the full path the client called, prefix included.

Configuration (environment variables of the same name, then the ``config`` argument):

- ``HUB_DATABASE_URL`` — default ``sqlite:///<instance>/hub.db``; the schema is created by
  :func:`upgrade_hub_db` (``eoffice hub init``), never by the factory.
- ``HUB_MAX_ATTACHMENT_BYTES`` (50 MB), ``HUB_MAX_PACKET_BYTES`` (256 MB request body),
  ``HUB_ALLOW_ZIP`` (false), ``HUB_TRACE_ORGAN_ID`` (``000.00.00.G22``),
  ``HUB_AUTH_SKEW_SECONDS`` (300), ``HUB_LIST_LIMIT`` (500).
- ``HUB_CHAOS_FAIL_RATE``, ``HUB_CHAOS_DELAY_MS``, ``HUB_CHAOS_LOST_RESPONSE_SHARE``,
  ``HUB_CHAOS_SEED`` — see :mod:`eoffice.hub.chaos`.
- ``HUB_ADMIN_PASSWORD`` (unset: no admin page), ``HUB_ADMIN_USER`` (``admin``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from eoffice.hub.chaos import Chaos
from eoffice.hub.db import make_engine, make_sessionmaker, upgrade_hub_db
from eoffice.hub.service import HubSettings
from eoffice.hub.state import HubState

__all__ = ["create_hub_app", "upgrade_hub_db"]


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _optional_int(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return int(value)


_SETTINGS: dict[str, tuple[Any, Callable[[Any], Any]]] = {
    "HUB_DATABASE_URL": (None, str),
    "HUB_MAX_ATTACHMENT_BYTES": (50 * 1024 * 1024, int),
    "HUB_MAX_PACKET_BYTES": (256 * 1024 * 1024, int),
    "HUB_ALLOW_ZIP": (False, _as_bool),
    "HUB_TRACE_ORGAN_ID": ("000.00.00.G22", str),
    "HUB_AUTH_SKEW_SECONDS": (300, int),
    "HUB_LIST_LIMIT": (500, int),
    "HUB_CHAOS_FAIL_RATE": (0.0, float),
    "HUB_CHAOS_DELAY_MS": (0, int),
    "HUB_CHAOS_LOST_RESPONSE_SHARE": (0.5, float),
    "HUB_CHAOS_SEED": (None, _optional_int),
    "HUB_ADMIN_USER": ("admin", str),
    "HUB_ADMIN_PASSWORD": (None, lambda v: str(v) if v else None),
}


def _load_settings(config: Mapping[str, Any] | None, environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, (default, convert) in _SETTINGS.items():
        raw = default
        if key in environ:
            raw = environ[key]
        if config and key in config:
            raw = config[key]
        values[key] = raw if raw is None else convert(raw)
    return values


def create_hub_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the hub application (no side effects: tables come from ``upgrade_hub_db``)."""
    app = Flask(__name__, static_folder=None)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Vietnamese stays readable
    app.json.sort_keys = False  # type: ignore[attr-defined]
    settings = _load_settings(config, os.environ)
    if config:
        app.config.update({k: v for k, v in config.items() if k not in settings})
    app.config.update(settings)
    url = settings["HUB_DATABASE_URL"] or "sqlite:///" + str(Path(app.instance_path) / "hub.db")
    app.config["HUB_DATABASE_URL"] = url
    app.config["MAX_CONTENT_LENGTH"] = settings["HUB_MAX_PACKET_BYTES"]
    engine = make_engine(url)
    app.extensions["hub"] = HubState(
        engine=engine,
        sessions=make_sessionmaker(engine),
        settings=HubSettings(
            max_attachment_bytes=settings["HUB_MAX_ATTACHMENT_BYTES"],
            max_packet_bytes=settings["HUB_MAX_PACKET_BYTES"],
            allow_zip=settings["HUB_ALLOW_ZIP"],
            trace_organ_id=settings["HUB_TRACE_ORGAN_ID"],
            list_limit=settings["HUB_LIST_LIMIT"],
        ),
        chaos=Chaos(
            fail_rate=settings["HUB_CHAOS_FAIL_RATE"],
            delay_ms=settings["HUB_CHAOS_DELAY_MS"],
            lost_response_share=settings["HUB_CHAOS_LOST_RESPONSE_SHARE"],
            seed=settings["HUB_CHAOS_SEED"],
        ),
        skew_seconds=settings["HUB_AUTH_SKEW_SECONDS"],
        admin_user=settings["HUB_ADMIN_USER"],
        admin_password=settings["HUB_ADMIN_PASSWORD"],
    )
    from eoffice.hub.views import bp

    app.register_blueprint(bp)
    return app
