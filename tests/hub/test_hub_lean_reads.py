"""The hub reads a packet's bytes only to serve them (getEdoc/getEdocs).

Listing, listing what was sent and acknowledging (updateStatus/updateStatuses) leave the
``data`` column in the database: with hundreds of packets pending, a poll tick used to
pull every pending packet's bytes (0.3–3 MB each) just to list their ids. An
acknowledgement batch finds its packets with one query.
"""

from __future__ import annotations

import re

from hub_helpers import PROVINCE, VPCP, edoc_bytes
from sqlalchemy import event

DATA = re.compile(r"hub_packets\.data\b")


def _statements(hub_app, action):
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = hub_app.extensions["hub"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return result, seen


def test_lists_and_acknowledgements_leave_the_bytes_but_reads_fetch_them(
        hub_app, province, vpcp, pdf_bytes):
    sent = [province.send_edoc(edoc_bytes(pdf_bytes, number=n), PROVINCE) for n in ("1", "2", "3")]
    listed, sql = _statements(hub_app, lambda: vpcp.get_received_list("edoc"))
    assert [i["docId"] for i in listed] == sent and all(i["size"] > 0 for i in listed)
    assert sql and not any(DATA.search(s) for s in sql)
    mine, sql = _statements(hub_app, lambda: province.get_sent_list())
    assert {i["docId"] for i in mine} == set(sent)
    assert not any(DATA.search(s) for s in sql)
    # the bytes are served as stored, in one call or one by one
    fetched, sql = _statements(hub_app, lambda: vpcp.get_edocs(sent))
    assert set(fetched) == set(sent) and any(DATA.search(s) for s in sql)
    assert vpcp.get_edoc(sent[0]) == fetched[sent[0]]
    applied, sql = _statements(hub_app, lambda: vpcp.update_statuses(
        [(sent[0], "done", VPCP), (sent[1], "fail", None)]))
    assert applied == {(sent[0], VPCP), (sent[1], "")}
    assert sql and not any(DATA.search(s) for s in sql)
    # one query finds the batch's packets, whatever its length
    assert len([s for s in sql if re.search(r"FROM hub_packets\b", s)]) == 1
    _, sql = _statements(hub_app, lambda: vpcp.update_status(sent[2], "done"))
    assert not any(DATA.search(s) for s in sql)
    assert vpcp.get_received_list("edoc") == []
    # an acknowledged packet is still served whole to its sender
    assert province.get_edoc(sent[2]) == fetched[sent[2]]
