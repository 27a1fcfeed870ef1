"""Schema management through the Alembic migrations in ``migrations/``."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask_migrate import upgrade

MIGRATIONS_DIR = str(Path(__file__).resolve().parents[2] / "migrations")


def upgrade_database() -> None:
    """Apply every migration to the configured database (inside an app context)."""
    from flask import current_app

    url = sa.engine.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    # "heads": parallel branches (one per capability) are applied until merged
    upgrade(directory=MIGRATIONS_DIR, revision="heads")


def configure_engine(engine: sa.Engine) -> None:
    """Make SQLite behave: real transactions (savepoints work), WAL, foreign keys.

    pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; the
    SQLAlchemy-documented recipe takes over: no implicit transactions, and BEGIN is
    emitted by SQLAlchemy itself (IMMEDIATE: the zero-setup default serialises writers).
    """
    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def on_begin(connection):  # type: ignore[no-untyped-def]
        # IMMEDIATE takes the write lock up front: web, worker and beat then queue on
        # busy_timeout instead of failing to upgrade a read transaction (SQLITE_BUSY), and
        # register numbering is serialised.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
