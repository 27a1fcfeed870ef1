"""Settings from environment variables.

Defaults are the zero-setup development configuration: SQLite and files under
``instance/``, Celery on an embedded SQLAlchemy broker, the hub mounted at ``/hub``.
Nothing is read at import time: :func:`load_config` is called by ``create_app``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

ENVIRONMENTS = ("development", "production", "testing")


class ConfigError(RuntimeError):
    """The configuration cannot be used (e.g. production without SECRET_KEY)."""


def _env(name: str, default: str | None = None) -> str | None:
    """Read ``EOFFICE_<NAME>`` first, then the conventional unprefixed ``NAME``."""
    return os.environ.get(f"EOFFICE_{name}", os.environ.get(name, default))


def _bool(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the configuration mapping for ``create_app``."""
    overrides = dict(overrides or {})
    env = overrides.get("ENV") or _env("ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"EOFFICE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    instance = Path(instance_path)
    port = int(os.environ.get("PORT", "5000"))
    secret = overrides.get("SECRET_KEY") or _env("SECRET_KEY")
    if not secret:
        if env != "development":
            raise ConfigError(
                f"Thiếu SECRET_KEY: đặt biến môi trường EOFFICE_SECRET_KEY trước khi chạy ở chế độ "
                f"{env}. / SECRET_KEY is missing: set EOFFICE_SECRET_KEY to run in {env} mode."
            )
        # Development and tests get a per-instance random key, kept on disk so that
        # sessions survive restarts; never a hard-coded default.
        secret = _instance_secret(instance)

    database_url = _env("DATABASE_URL") or f"sqlite:///{instance / 'eoffice.db'}"
    broker_url = _env("CELERY_BROKER_URL") or f"sqla+sqlite:///{instance / 'celery-broker.db'}"
    config: dict[str, Any] = {
        "ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "CELERY": {
            "broker_url": broker_url,
            "result_backend": _env("CELERY_RESULT_BACKEND"),
            "task_ignore_result": True,
            "task_serializer": "json",
            "result_serializer": "json",
            "accept_content": ["json"],
            "broker_connection_retry_on_startup": True,
            "timezone": "Asia/Ho_Chi_Minh",
            "enable_utc": True,
            "beat_scheduler": "eoffice.tasks:Scheduler",
        },
        "STORAGE_DIR": _env("STORAGE_DIR") or str(instance / "files"),
        "PKI_DIR": _env("PKI_DIR") or str(instance / "pki"),
        "PUBLIC_URL": _env("PUBLIC_URL") or f"http://127.0.0.1:{port}",
        "HUB_URL": _env("HUB_URL") or f"http://127.0.0.1:{port}/hub",
        "HUB_DATABASE_URL": _env("HUB_DATABASE_URL") or f"sqlite:///{instance / 'hub.db'}",
        "HUB_SYSTEM_ID": _env("HUB_SYSTEM_ID"),
        "HUB_SECRET": _env("HUB_SECRET"),
        "HUB_TIMEOUT": float(_env("HUB_TIMEOUT", "10")),
        "HUB_POLL_SECONDS": float(_env("HUB_POLL_SECONDS", "30")),
        # receiving: packets per fetch/transaction/ack batch, and parallel polls (shards)
        "HUB_POLL_BATCH": int(_env("HUB_POLL_BATCH", "20")),
        "HUB_POLL_BATCH_BYTES": int(_env("HUB_POLL_BATCH_BYTES", str(16 * 1024 * 1024))),
        "HUB_POLL_SHARDS": max(int(_env("HUB_POLL_SHARDS", "1")), 1),
        # a poll that stored packets lists again at once, for at most this long
        "HUB_POLL_DRAIN_SECONDS": float(_env("HUB_POLL_DRAIN_SECONDS", "30")),
        # sending: packets one delivery task sends in one sendEdocs call (the outbox batch)
        "HUB_SEND_CONCURRENCY": max(int(_env("HUB_SEND_CONCURRENCY", "8")), 1),
        "HUB_DEMO_PEER": _bool(_env("HUB_DEMO_PEER")),
        "OUTBOX_MAX_ATTEMPTS": int(_env("OUTBOX_MAX_ATTEMPTS", "8")),
        "OUTBOX_BACKOFF_BASE": float(_env("OUTBOX_BACKOFF_BASE", "2")),
        "OUTBOX_BACKOFF_MAX": float(_env("OUTBOX_BACKOFF_MAX", "600")),
        "OUTBOX_LEASE_SECONDS": float(_env("OUTBOX_LEASE_SECONDS", "60")),
        "OUTBOX_FLUSH_SECONDS": float(_env("OUTBOX_FLUSH_SECONDS", "15")),
        "EDXML_TRUST_ROOTS": [],
        "TRUST_ROOTS_PEM": [],
        "SIGNING_TSA_URL": _env("SIGNING_TSA_URL"),
        "SIGNING_FETCH_HTTP": _bool(_env("SIGNING_FETCH_HTTP")),
        "BODY_KEY_PIN": _env("BODY_KEY_PIN"),
        "MAX_CONTENT_LENGTH": int(_env("MAX_UPLOAD_BYTES", str(50 * 1024 * 1024))),
        "API_TOKEN_TTL": timedelta(hours=int(_env("API_TOKEN_TTL_HOURS", "24"))),
        "LOGIN_RATE_LIMIT": _env("LOGIN_RATE_LIMIT", "10 per 5 minutes"),
        "RATELIMIT_STORAGE_URI": _env("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "JSON_SORT_KEYS": False,
        "DEMO_PASSWORD": "demo12345",
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": int(_env("SMTP_PORT", "25")),
        "SMTP_FROM": _env("SMTP_FROM", "eoffice@localhost"),
        "SMTP_USER": _env("SMTP_USER"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "SMTP_STARTTLS": _bool(_env("SMTP_STARTTLS")),
        # Off only for measurements (bench/hub_bench.py): documents then carry no report.
        "INCOMING_VERIFY_ON_ARRIVAL": _env("INCOMING_VERIFY_ON_ARRIVAL", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        # validate received PDFs in this many processes (0: in the polling thread)
        "INCOMING_VERIFY_PROCESSES": int(_env("INCOMING_VERIFY_PROCESSES", "0")),
        "INCOMING_REMIND_DAYS": int(_env("INCOMING_REMIND_DAYS", "1")),
        "INCOMING_REMIND_SECONDS": float(_env("INCOMING_REMIND_SECONDS", "3600")),
        "OUTGOING_SEAL_LEVEL": _env("OUTGOING_SEAL_LEVEL", "B-LTA"),
    }
    config.update(overrides)
    config.setdefault("BEAT_SCHEDULE", beat_schedule(config))
    config.setdefault("SQLALCHEMY_ENGINE_OPTIONS",
                      _engine_options(config["SQLALCHEMY_DATABASE_URI"]))
    return config


def beat_schedule(config: dict[str, Any]) -> dict[str, Any]:
    """Periodic tasks: poll the hub, retry the outbox (and the demo's VPCP peer)."""
    shards = config.get("HUB_POLL_SHARDS", 1)
    # A tick still queued when the next one is due is dropped (expires): a busy worker
    # then catches up with real work (deliveries) instead of a backlog of sweeps and polls.
    poll_every, flush_every = config["HUB_POLL_SECONDS"], config["OUTBOX_FLUSH_SECONDS"]
    schedule: dict[str, Any] = {
        "poll-hub": {"task": "eoffice.interop.poll_hub", "schedule": poll_every,
                     "options": {"expires": poll_every}},
        "flush-outbox": {"task": "eoffice.interop.flush_outbox", "schedule": flush_every,
                         "options": {"expires": flush_every}},
        "remind-deadlines": {"task": "eoffice.incoming.remind_deadlines",
                             "schedule": config.get("INCOMING_REMIND_SECONDS", 3600)},
    }
    if shards > 1:  # one poll per shard, so several worker processes receive at once
        schedule["poll-hub"]["kwargs"] = {"shard": 0, "shards": shards}
        for shard in range(1, shards):
            schedule[f"poll-hub-{shard}"] = {"task": "eoffice.interop.poll_hub",
                                             "schedule": poll_every,
                                             "options": {"expires": poll_every},
                                             "kwargs": {"shard": shard, "shards": shards}}
    if config["HUB_DEMO_PEER"]:
        schedule["demo-peer"] = {"task": "eoffice.interop.demo_peer",
                                 "schedule": config["HUB_POLL_SECONDS"]}
    return schedule


def _engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # Web, worker and beat share one SQLite file: wait for locks instead of failing.
        return {"connect_args": {"timeout": 30, "check_same_thread": False}}
    return {"pool_pre_ping": True}


def _instance_secret(instance: Path) -> str:
    import secrets

    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def require_services() -> bool:
    """Whether tests must fail (not skip) when PostgreSQL/Redis are missing."""
    return _bool(os.environ.get("EOFFICE_REQUIRE_SERVICES"))
