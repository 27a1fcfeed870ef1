"""``POST /sendEdocs``: several packets in one request, each stored exactly as ``sendEdoc``
stores it (own savepoint, same checks and error codes, idempotent), the client's fallback
to ``sendEdoc`` on a hub without it, and the statement count of the write path."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from hub_helpers import (
    BASE_URL,
    PROVINCE,
    RACHGIA,
    UNKNOWN,
    VPCP,
    client_for,
    edoc_bytes,
    make_edoc,
    status_bytes,
)
from sqlalchemy import event, select
from sqlalchemy.engine.interfaces import CacheStats

from eoffice.hub.models import Delivery, Packet
from eoffice.interop.edxml import build_edoc
from eoffice.interop.hub_client import HubClient, HubError, HubUnavailable


def _item(packet: bytes, from_code: str = PROVINCE, messagetype: str = "edoc") -> dict:
    return {"from": from_code, "messagetype": messagetype,
            "data": base64.b64encode(packet).decode("ascii")}


def _post(client: HubClient, body: bytes) -> dict:
    return client._call("POST", "sendEdocs", body=body,
                        headers={"Content-Type": "application/json"})


def _stored(hub) -> dict[str, list[str]]:
    """DocId → recipients of every stored packet."""
    with hub.session() as session:
        return {p.doc_id: [d.recipient_code for d in p.deliveries]
                for p in session.scalars(select(Packet))}


def test_send_edocs_stores_each_packet_once_in_order(hub, province, vpcp, pdf_bytes):
    edocs = [make_edoc(pdf_bytes, number=n) for n in ("1", "2")]
    both = edoc_bytes(pdf_bytes, number="3", recipients=(VPCP, RACHGIA))
    results = province.send_edocs([(build_edoc(e), PROVINCE, "edoc") for e in edocs]
                                  + [(both, PROVINCE, "edoc")])
    assert all(isinstance(r, str) for r in results) and len(set(results)) == 3
    assert _stored(hub) == {results[0]: [VPCP], results[1]: [VPCP], results[2]: [VPCP, RACHGIA]}
    # listed to the recipient as sendEdoc's packets are, stored with the hub's trace
    assert [i["docId"] for i in vpcp.get_received_list("edoc")] == results
    assert b"TraceHeader" in vpcp.get_edoc(results[0])
    # statuses travel the same way and update the issuer's view of the delivery
    (status_doc,) = vpcp.send_edocs([(status_bytes(edocs[0], "01"), VPCP, "status")])
    assert [i["docId"] for i in province.get_received_list("status")] == [status_doc]
    sent = {i["docId"]: i for i in province.get_sent_list() if i["toCode"] == VPCP}
    assert sent[results[0]]["receiveStatus"] == "01" and sent[results[1]]["receiveStatus"] is None
    # the same packets again (a retry) answer the same DocIds and store nothing
    again = province.send_edocs([(build_edoc(e), PROVINCE, "edoc") for e in edocs])
    assert again == results[:2] and hub.counts() == (4, 5)


def test_refused_items_store_nothing_and_do_not_stop_the_others(hub, province, pdf_bytes):
    good = edoc_bytes(pdf_bytes, number="1")
    edoc = make_edoc(pdf_bytes, number="2")
    items = [
        _item(good),
        _item(edoc_bytes(pdf_bytes, number="3", recipients=(VPCP, UNKNOWN))),  # 18
        _item(edoc_bytes(pdf_bytes, number="4", sender=VPCP), from_code=VPCP),  # 19
        _item(b"<not-edxml/>"),  # 22
        _item(build_edoc(edoc), messagetype="status"),  # 22: kind differs
        _item(build_edoc(edoc), messagetype="fax"),  # 10
        {"from": PROVINCE, "messagetype": "edoc", "data": "***"},  # 10: not base64
        {"from": PROVINCE, "messagetype": "edoc"},  # 10: no data
        _item(good, from_code=""),  # 19: no sender
        _item(good),  # the same packet again in the same batch: the same DocId
    ]
    answer = _post(province, json.dumps({"items": items}).encode())
    assert answer["status"] == "OK" and answer["ErrorCode"] == "0"
    data = answer["data"]
    assert [e.get("ErrorCode") for e in data] == [
        None, "18", "19", "22", "22", "10", "10", "10", "19", None]
    assert all(" / " in e["ErrorDesc"] for e in data if "ErrorCode" in e)  # vi / en
    assert data[-1]["DocId"] == data[0]["DocId"]
    assert _stored(hub) == {data[0]["DocId"]: [VPCP]}
    # the client hands each refusal back as a HubError of its own
    results = province.send_edocs([(good, PROVINCE, "edoc"), (b"<x/>", PROVINCE, "edoc")])
    assert results[0] == data[0]["DocId"]
    assert isinstance(results[1], HubError) and results[1].code == "22"
    assert hub.counts() == (1, 1)


@pytest.mark.parametrize("body", [
    b"not json",
    b'{"items": "abc"}',
    b"[1, 2]",
    b'{"items": []}',
    b'{"items": ["abc"]}',
    json.dumps({"items": [{"from": PROVINCE, "data": ""}] * 101}).encode(),
])
def test_send_edocs_refuses_bad_input_with_error_10(hub, province, body):
    with pytest.raises(HubError) as refused:
        _post(province, body)
    assert refused.value.code == "10" and refused.value.http_status == 400
    assert hub.counts() == (0, 0)


def test_too_large_a_batch_is_refused_and_the_client_goes_packet_by_packet(hub, pdf_bytes):
    packets = [edoc_bytes(pdf_bytes, number=n) for n in ("1", "2", "3")]
    small = hub.make_app(HUB_MAX_PACKET_BYTES=max(len(p) for p in packets) + 100)
    with client_for(small, hub.kiengiang) as client:
        body = json.dumps({"items": [_item(p) for p in packets]}).encode()
        with pytest.raises(HubError) as refused:
            _post(client, body)
        assert refused.value.code == "10" and refused.value.http_status == 413
        assert hub.counts() == (0, 0)
        results = client.send_edocs([(p, PROVINCE, "edoc") for p in packets])
    assert all(isinstance(r, str) for r in results) and hub.counts() == (3, 3)


def test_send_edocs_needs_authentication_and_refuses_a_replay(hub, hub_app, province,
                                                              pdf_bytes):
    raw = httpx.Client(transport=httpx.WSGITransport(app=hub_app), base_url=BASE_URL)
    body = json.dumps({"items": [_item(edoc_bytes(pdf_bytes))]}).encode()
    unsigned = raw.post("/sendEdocs", content=body)
    assert unsigned.status_code == 401 and unsigned.json()["ErrorCode"] == "15"
    headers = province.signed_headers("POST", "/sendEdocs", body)
    first = raw.post("/sendEdocs", content=body, headers=headers)
    assert first.status_code == 200 and "DocId" in first.json()["data"][0]
    replay = raw.post("/sendEdocs", content=body, headers=headers)
    assert replay.status_code == 401 and replay.json()["ErrorCode"] == "15"
    assert "phát lại" in replay.json()["ErrorDesc"]
    assert hub.counts() == (1, 1)


def test_a_batch_retried_after_a_lost_answer_stores_nothing_twice(hub, pdf_bytes):
    """Chaos fail_after: the hub commits, then the answer is lost (503)."""
    items = [(edoc_bytes(pdf_bytes, number=n), PROVINCE, "edoc") for n in ("1", "2", "3")]
    lossy = hub.make_app(HUB_CHAOS_FAIL_RATE=1.0, HUB_CHAOS_LOST_RESPONSE_SHARE=1.0)
    with client_for(lossy, hub.kiengiang) as client, pytest.raises(HubUnavailable):
        client.send_edocs(items)
    stored = _stored(hub)
    assert len(stored) == 3  # the work was done although the caller saw a failure
    with client_for(hub.make_app(), hub.kiengiang) as client:
        results = client.send_edocs(items)
    assert set(results) == set(stored) and len(results) == 3
    assert _stored(hub) == stored
    # a failure before anything (fail_before) stores nothing at all
    before = hub.make_app(HUB_CHAOS_FAIL_RATE=1.0, HUB_CHAOS_LOST_RESPONSE_SHARE=0.0)
    with client_for(before, hub.kiengiang) as client, pytest.raises(HubUnavailable):
        client.send_edocs([(edoc_bytes(pdf_bytes, number="9"), PROVINCE, "edoc")])
    assert _stored(hub) == stored


def test_client_falls_back_to_send_edoc_on_a_hub_without_send_edocs(hub, hub_app, pdf_bytes):
    asked: list[str] = []
    inner = httpx.WSGITransport(app=hub_app)

    class AxisOnly(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            asked.append(request.url.path)
            if request.url.path.endswith("/sendEdocs"):
                return httpx.Response(404, json={"status": "FAIL", "ErrorCode": "10",
                                                 "ErrorDesc": "Not Found"})
            return inner.handle_request(request)

    client = HubClient(BASE_URL, hub.kiengiang.systemid, hub.kiengiang.secret,
                       transport=AxisOnly())
    good = edoc_bytes(pdf_bytes, number="1")
    refused = edoc_bytes(pdf_bytes, number="2", recipients=(UNKNOWN,))
    first = client.send_edocs([(good, PROVINCE, "edoc"), (refused, PROVINCE, "edoc")])
    assert isinstance(first[0], str)
    assert isinstance(first[1], HubError) and first[1].code == "18"
    assert client.send_edocs([(good, PROVINCE, "edoc")]) == [first[0]]
    assert _stored(hub) == {first[0]: [VPCP]}
    # the batch endpoint was tried once, then the client stopped asking for it
    assert asked == ["/sendEdocs", "/sendEdoc", "/sendEdoc", "/sendEdoc"]


def test_a_batch_costs_fewer_statements_than_one_call_per_packet(hub, hub_app, province,
                                                                 vpcp, pdf_bytes):
    """The lean write path: no SAVEPOINT for the request signature, the caller's bodies
    loaded with the caller, the packet stored by INSERT … ON CONFLICT DO NOTHING, the
    directory asked once per batch. Upper bounds with a little slack: exact counts are
    brittle (on PostgreSQL a single sendEdoc now runs 6 statements for a document packet
    and 8 for a status packet, down from 12 and 14)."""
    engine = hub_app.extensions["hub"].engine
    compiled_anew: list[bool] = []

    def statements(action) -> list[str]:
        seen: list[str] = []

        def record(conn, cursor, statement, parameters, context, executemany):
            seen.append(statement)
            if statement.startswith("INSERT INTO hub_") and "ON CONFLICT" in statement:
                compiled_anew.append(context.cache_hit != CacheStats.CACHE_HIT)

        event.listen(engine, "before_cursor_execute", record)
        try:
            action()
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return seen

    edocs = [make_edoc(pdf_bytes, number=str(n)) for n in range(21)]
    province.send_edoc(build_edoc(edocs[0]), PROVINCE)  # warm up (first connection)
    single = statements(lambda: province.send_edoc(build_edoc(edocs[1]), PROVINCE))
    status = statements(lambda: vpcp.send_edoc(status_bytes(edocs[1], "01"), VPCP, "status"))
    # (this hub is SQLite: its BEGIN IMMEDIATE is one more statement per transaction)
    # SELECT caller and its bodies, INSERT signature, SELECT recipients, INSERT packet,
    # INSERT deliveries, INSERT request log (was 12, with two SAVEPOINT pairs)
    assert len(single) <= 7 and not any("SAVEPOINT" in s for s in single)
    # + the issuer's packets found and their deliveries' view updated, by index (was 14)
    assert len(status) <= 9
    one_by_one = statements(lambda: [province.send_edoc(build_edoc(e), PROVINCE)
                                     for e in edocs[2:12]])
    results: list = []
    batch = statements(lambda: results.extend(
        province.send_edocs([(build_edoc(e), PROVINCE, "edoc") for e in edocs[12:22]])))
    assert len(results) == 9 and all(isinstance(r, str) for r in results)
    # per call: BEGIN, caller, signature, directory, request log; per packet: SAVEPOINT,
    # packet, deliveries, RELEASE (41 today; 10 packets one by one: 70)
    assert len(batch) <= 4 + 9 * 4 + 4
    assert len(batch) < len(one_by_one) * 0.75
    with hub.session() as session:
        assert len(list(session.scalars(select(Delivery)))) == 2 + 1 + 10 + 9  # one each
    # the signature and packet inserts are compiled once, then taken from SQLAlchemy's
    # cache (a dialect insert() construct would be compiled again on every call)
    assert len(compiled_anew) > 30 and not any(compiled_anew), compiled_anew


def test_packets_travel_unencoded_in_the_packet_framing(hub, province, vpcp, pdf_bytes):
    from eoffice.interop import framing

    packets = [edoc_bytes(pdf_bytes, number=n) for n in ("1", "2")]
    body = b"".join(framing.frame({}, "items", [{"from": PROVINCE, "messagetype": "edoc"}] * 2,
                                  packets))
    # no base64 on the wire: the body is the header line and the packets as they are
    assert len(body) < sum(len(p) for p in packets) + 200
    answer = province._call("POST", "sendEdocs", body=body, headers={
        "servicetype": "eDoc", "Content-Type": framing.MEDIA_TYPE})
    doc_ids = [entry["DocId"] for entry in answer["data"]]
    assert set(_stored(hub)) == set(doc_ids)
    # what the client sends is this framing, and the same packets answer the same DocIds
    assert province.send_edocs([(p, PROVINCE, "edoc") for p in packets]) == doc_ids


@pytest.mark.parametrize("body", [
    b'{"items":[{"from":"x","messagetype":"edoc","size":10}]}\nshort',
    b'{"items":[{"from":"x","messagetype":"edoc"}]}\nno size',
    b'{"items":"abc"}\n',
    b"no header line at all",
])
def test_malformed_framing_is_error_10_and_stores_nothing(hub, province, body):
    from eoffice.interop import framing

    with pytest.raises(HubError) as refused:
        province._call("POST", "sendEdocs", body=body, headers={
            "servicetype": "eDoc", "Content-Type": framing.MEDIA_TYPE})
    assert refused.value.code == "10"
    assert _stored(hub) == {}
