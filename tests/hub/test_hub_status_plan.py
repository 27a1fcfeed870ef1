"""A status packet is recorded on the delivery it answers by that delivery's own index.

The hub shows the latest status on the issuer's delivery (``getSentEdocList``). Written as
one UPDATE with the issuer's packets as a subquery, PostgreSQL planned it — on tables not
analysed yet, as a new hub's are — as a walk over every delivery the recipient ever had,
trying each against the subquery: 0.1 ms at first, 4 ms after a few hundred documents in
the benchmark, growing with the hub's traffic. The packets are now found first and the
deliveries by (packet, recipient), the unique index.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from hub_helpers import PROVINCE, VPCP, client_for, make_edoc, scratch_hub, status_bytes
from sqlalchemy import event

from eoffice.hub.models import Delivery
from eoffice.interop.edxml import build_edoc


def _plans(engine: sa.Engine, statements: list[tuple[str, object]]) -> list[str]:
    explain = "EXPLAIN " if engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        return ["\n".join(str(row[-1]) for row in conn.exec_driver_sql(explain + sql, params))
                for sql, params in statements]


def test_a_status_finds_its_delivery_by_index_however_many_the_body_has(
        scratch_database_url: str, pdf_bytes: bytes) -> None:
    hub_app, province, vpcp = scratch_hub(scratch_database_url)
    engine = hub_app.extensions["hub"].engine
    updates: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if re.match(r"\s*UPDATE hub_deliveries\b", statement):
            updates.append((statement, parameters))

    try:
        with client_for(hub_app, province) as sender, client_for(hub_app, vpcp) as receiver:
            edocs = [make_edoc(pdf_bytes, number=str(n)) for n in range(1, 61)]
            sent = [sender.send_edoc(build_edoc(edoc), PROVINCE) for edoc in edocs]
            receiver.update_statuses([(doc_id, "done", VPCP) for doc_id in sent])
            when = datetime.now(UTC)
            event.listen(engine, "before_cursor_execute", record)
            receiver.send_edoc(status_bytes(edocs[40], "03", when=when), VPCP, "status")
            # an older status does not replace a newer one
            receiver.send_edoc(status_bytes(edocs[40], "01", when=when - timedelta(hours=1)),
                               VPCP, "status")
            event.remove(engine, "before_cursor_execute", record)
            plans = _plans(engine, updates)
        with hub_app.extensions["hub"].sessions() as session:
            shown = dict(session.execute(sa.select(Delivery.packet_id, Delivery.receive_status)
                                         .where(Delivery.receive_status.is_not(None))).all())
    finally:
        engine.dispose()
    assert list(shown.values()) == ["03"]  # on the 41st document's delivery only
    assert len(plans) == 2
    for plan in plans:
        # by the (packet, recipient) unique index, not by the recipient's index
        assert "uq_hub_deliveries_packet_id_recipient_code" in plan or (
            engine.dialect.name == "sqlite" and "autoindex_hub_deliveries" in plan), plan
        assert "ix_hub_deliveries_recipient_code" not in plan, plan
