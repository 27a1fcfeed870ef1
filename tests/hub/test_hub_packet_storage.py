"""Hub migration 0002: packet bytes are stored without TOAST compression on PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command

from eoffice.hub.db import _alembic_config, upgrade_hub_db


def _storage(engine: sa.Engine) -> str:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT attstorage FROM pg_attribute "
            "WHERE attrelid = 'hub_packets'::regclass AND attname = 'data'")).scalar_one()


def test_packet_bytes_are_stored_uncompressed(scratch_database_url: str) -> None:
    upgrade_hub_db(scratch_database_url)
    engine = sa.create_engine(scratch_database_url)
    try:
        if engine.dialect.name != "postgresql":  # nothing to set: the table is there
            assert "hub_packets" in sa.inspect(engine).get_table_names()
            return
        assert _storage(engine) == "e"  # EXTERNAL: out of line, not compressed
        command.downgrade(_alembic_config(scratch_database_url), "0001")
    finally:
        engine.dispose()
    engine = sa.create_engine(scratch_database_url)
    try:
        assert _storage(engine) == "x"  # EXTENDED, PostgreSQL's default
    finally:
        engine.dispose()
