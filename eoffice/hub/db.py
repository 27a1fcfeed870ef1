"""The hub's database: engine factory, sessions and schema upgrades.

The hub does not use Flask-SQLAlchemy: it is a separate application with its own engine
(``HUB_DATABASE_URL``) so that it can share a process with eoffice without sharing its
session or metadata. On SQLite every transaction starts with ``BEGIN IMMEDIATE`` so that
concurrent writers queue on the busy timeout instead of failing to upgrade a read lock
(a simulated hub may serialise; production runs it on PostgreSQL).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import StaticPool

# session.info keys, kept for one transaction: {system id: codes of the active bodies it
# owns}, and the set of codes already found active in the directory.
OWNED_CODES = "hub_owned_codes"
KNOWN_CODES = "hub_known_codes"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "hub_alembic_version"


# execution option: ask the server for the rows in binary format (PostgreSQL + psycopg)
BINARY_RESULTS = "hub_binary_results"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL, a busy timeout and BEGIN IMMEDIATE.

    On PostgreSQL with psycopg, a statement run with the execution option
    ``BINARY_RESULTS`` gets its rows in binary format: a packet's bytes then cross as they
    are instead of as hex text twice their size, which the server spends ~7 ms writing and
    the client ~3 ms parsing per MB (:func:`eoffice.hub.service.packet_bytes`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        engine = create_engine(url, pool_pre_ping=True)
        if engine.dialect.driver == "psycopg":

            @event.listens_for(engine, "do_execute")
            def _binary(cursor: Any, statement: str, parameters: Any, context: Any) -> bool:
                if not context.execution_options.get(BINARY_RESULTS):
                    return False  # SQLAlchemy executes it as usual
                cursor.execute(statement, parameters, binary=True)
                return True

        return engine
    kwargs: dict[str, Any] = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if parsed.database in (None, "", ":memory:"):
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """The session factory used by the hub's entry points (one transaction each).

    ``session.info[OWNED_CODES]`` caches the caller's bodies for one transaction (looked
    up with the caller at authentication), ``session.info[KNOWN_CODES]`` the recipients
    already found in the directory; both are forgotten when the transaction ends.
    """
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    @event.listens_for(factory, "after_transaction_end")
    def _forget(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            session.info.pop(OWNED_CODES, None)
            session.info.pop(KNOWN_CODES, None)

    return factory


def insert_ignoring_duplicates(
    session: Any,
    table: sa.Table,
    values: Mapping[str, Any],
    conflict_on: Sequence[str],
    returning: str | None = None,
) -> sa.CursorResult[Any]:
    """``INSERT … ON CONFLICT (conflict_on) DO NOTHING [RETURNING col]`` (PostgreSQL, SQLite).

    A row that would break that unique key is not inserted (no row returned) and the
    transaction goes on: no SAVEPOINT, no IntegrityError. Written as one textual
    statement per table and column set, with the columns' types on its parameters:
    SQLAlchemy does not cache the compiled form of the dialects' own ``insert()``
    constructs (``inherit_cache = False``), and compiling one costs about a millisecond
    on every call of a busy path; a text statement is compiled once. ``values`` must
    give every column the row needs (Python-side defaults are not applied).
    """
    statement = _insert_ignoring_statement(table, tuple(values), tuple(conflict_on), returning)
    return session.execute(statement, dict(values))


@functools.cache
def _insert_ignoring_statement(table: sa.Table, names: tuple[str, ...],
                               conflict_on: tuple[str, ...],
                               returning: str | None) -> sa.TextClause:
    unknown = {*names, *conflict_on, *filter(None, [returning])} - set(table.c.keys())
    if unknown:  # only the table's own column names ever reach the SQL text
        raise ValueError(f"not columns of {table.name}: {sorted(unknown)}")
    sql = (f"INSERT INTO {table.name} ({', '.join(names)}) "  # noqa: S608 (checked names)
           f"VALUES ({', '.join(':' + name for name in names)}) "
           f"ON CONFLICT ({', '.join(conflict_on)}) DO NOTHING")
    if returning:
        sql += f" RETURNING {returning}"
    statement = sa.text(sql).bindparams(
        *(sa.bindparam(name, type_=table.c[name].type) for name in names))
    if returning:
        return statement.columns(table.c[returning])  # type: ignore[return-value]
    return statement


def _alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_hub_db(url: str, revision: str = "head") -> None:
    """Bring the hub schema at ``url`` up to ``revision`` (creates a SQLite file's folder)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(_alembic_config(url), revision)


def upgrade_hub_engine(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema through an existing engine (needed for in-memory SQLite)."""
    cfg = _alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)
