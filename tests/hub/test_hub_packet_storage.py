"""How the hub keeps packet bytes: uncompressed on PostgreSQL (migration 0002), read back
byte for byte, in binary format there."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import command
from hub_helpers import PROVINCE, client_for, edoc_bytes, scratch_hub
from sqlalchemy import event

from eoffice.hub.db import _alembic_config, upgrade_hub_db
from eoffice.interop import edxml


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


def test_packets_are_served_byte_for_byte_in_binary_format(scratch_database_url: str,
                                                           pdf_bytes: bytes) -> None:
    """getEdoc/getEdocs read the bytes as stored; on PostgreSQL the rows come in binary
    format (not hex text twice their size)."""
    hub_app, province, vpcp = scratch_hub(scratch_database_url)
    engine = hub_app.extensions["hub"].engine
    formats: list[int] = []

    def result_format(conn, cursor, statement, parameters, context, executemany):
        if "hub_packets.data" in statement and engine.dialect.name == "postgresql":
            formats.append(cursor.pgresult.fformat(1))

    # every byte value, in a PDF the hub accepts
    pdf = pdf_bytes.replace(b"%%EOF", bytes(range(256)) + b"\n%%EOF")
    try:
        with client_for(hub_app, province) as sender, client_for(hub_app, vpcp) as receiver:
            sent = [sender.send_edoc(edoc_bytes(pdf, number=n), PROVINCE) for n in ("1", "2")]
            event.listen(engine, "after_cursor_execute", result_format)
            fetched = receiver.get_edocs(sent)
            one = receiver.get_edoc(sent[1])
            event.remove(engine, "after_cursor_execute", result_format)
    finally:
        engine.dispose()
    assert one == fetched[sent[1]] and set(fetched) == set(sent)
    packets = [edxml.parse_packet(fetched[doc_id]) for doc_id in sent]
    assert [p.attachments[0].data for p in packets] == [pdf, pdf]
    if scratch_database_url.startswith("postgresql"):
        assert formats == [1, 1]  # binary, for getEdocs and for getEdoc
