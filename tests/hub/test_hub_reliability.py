"""Chaos mode, lost responses, at-least-once delivery, a live server, the /hub mount."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from hub_helpers import BASE_URL, PROVINCE, VPCP, client_for, edoc_bytes
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from eoffice.hub.chaos import Chaos, ChaosOutcome
from eoffice.interop.edxml import parse_packet
from eoffice.interop.hub_client import HubClient, HubClientError, HubError, HubUnavailable


def test_chaos_draws_honour_the_rate():
    chaos = Chaos(fail_rate=0.3, lost_response_share=0.5, seed=20261126)
    outcomes = [chaos.draw(changes_state=True) for _ in range(5000)]
    failed = sum(o is not ChaosOutcome.ok for o in outcomes) / len(outcomes)
    after = sum(o is ChaosOutcome.fail_after for o in outcomes) / len(outcomes)
    assert 0.28 < failed < 0.32
    assert 0.13 < after < 0.17
    # Read-only calls never "lose" a response: they fail before.
    reads = [chaos.draw(changes_state=False) for _ in range(1000)]
    assert ChaosOutcome.fail_after not in reads
    with pytest.raises(ValueError):
        Chaos(fail_rate=1.5)


def test_chaos_fail_rate_over_http(hub):
    hub_app = hub.make_app(HUB_CHAOS_FAIL_RATE=0.3, HUB_CHAOS_SEED=7)
    failures = 0
    with client_for(hub_app, hub.kiengiang) as client:
        for _ in range(300):
            try:
                client.get_agencies()
            except HubUnavailable as exc:
                assert (exc.http_status, exc.code) == (503, "20")
                failures += 1
    assert 60 <= failures <= 120  # 30% of 300 = 90, well inside the binomial spread


def test_chaos_failure_before_stores_nothing(hub, pdf_bytes):
    hub_app = hub.make_app(HUB_CHAOS_FAIL_RATE=1.0, HUB_CHAOS_LOST_RESPONSE_SHARE=0.0)
    with client_for(hub_app, hub.kiengiang) as client, pytest.raises(HubUnavailable):
        client.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
    assert hub.counts() == (0, 0)


def test_lost_response_then_retry_gives_same_docid(hub, hub_app, pdf_bytes):
    lossy = hub.make_app(HUB_CHAOS_FAIL_RATE=1.0, HUB_CHAOS_LOST_RESPONSE_SHARE=1.0)
    packet = edoc_bytes(pdf_bytes)
    with client_for(lossy, hub.kiengiang) as client, pytest.raises(HubUnavailable) as err:
        client.send_edoc(packet, PROVINCE)
    assert err.value.retryable
    assert hub.counts() == (1, 1)  # the hub did the work, the answer was "lost"
    with client_for(hub_app, hub.kiengiang) as client:
        doc_id = client.send_edoc(packet, PROVINCE)
    with client_for(hub_app, hub.vpcp) as vpcp:
        assert [i["docId"] for i in vpcp.get_received_list("edoc")] == [doc_id]
    assert hub.counts() == (1, 1)


def test_no_packet_lost_or_doubled_at_30_percent_failures(hub, pdf_bytes):
    """A retrying sender and a retrying receiver see every packet exactly once."""
    hub_app = hub.make_app(HUB_CHAOS_FAIL_RATE=0.3, HUB_CHAOS_SEED=42)
    packets = {f"{n:02d}": edoc_bytes(pdf_bytes, number=f"{n:02d}") for n in range(1, 21)}

    def retry(call):
        for _ in range(100):
            try:
                return call()
            except HubUnavailable:
                continue
        raise AssertionError("hub never answered")

    sent: dict[str, str] = {}
    with client_for(hub_app, hub.kiengiang) as sender:
        for number, packet in packets.items():
            sent[number] = retry(lambda p=packet: sender.send_edoc(p, PROVINCE))
    assert len(set(sent.values())) == len(packets)

    registered: dict[str, str] = {}  # receiver's register: DocumentId -> hub DocId
    registrations = 0
    with client_for(hub_app, hub.vpcp) as receiver:
        while True:
            waiting = retry(lambda: receiver.get_received_list("edoc"))
            if not waiting:
                break
            for item in waiting:
                data = retry(lambda i=item: receiver.get_edoc(i["docId"]))
                document_id = parse_packet(data).document_id
                if document_id not in registered:
                    registered[document_id] = item["docId"]
                    registrations += 1
                retry(lambda i=item: receiver.update_status(i["docId"], "done"))
    assert registrations == len(packets)
    assert sorted(registered.values()) == sorted(sent.values())
    assert hub.counts() == (len(packets), len(packets))


def test_chaos_delay(hub):
    hub_app = hub.make_app(HUB_CHAOS_DELAY_MS=40, HUB_CHAOS_SEED=3)
    import time

    with client_for(hub_app, hub.kiengiang) as client:
        started = time.monotonic()
        for _ in range(10):
            client.get_agencies()
        elapsed = time.monotonic() - started
    assert elapsed > 0.1  # ten uniform(0, 40 ms) delays: about 0.2 s expected


@pytest.fixture
def live_server(hub_app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, hub_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_client_against_live_server(hub, live_server, pdf_bytes):
    with (
        HubClient(live_server, hub.kiengiang.systemid, hub.kiengiang.secret) as province,
        HubClient(live_server, hub.vpcp.systemid, hub.vpcp.secret) as vpcp,
    ):
        doc_id = province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
        [item] = vpcp.get_received_list("edoc")
        assert item["docId"] == doc_id
        assert parse_packet(vpcp.get_edoc(doc_id)).attachments[0].data == pdf_bytes
        assert vpcp.update_status(doc_id, "done") == 1
        assert province.get_sent_list()[0]["sendStatus"] == "done"
        assert {a["code"] for a in vpcp.get_agencies()} >= {PROVINCE, VPCP}
    with (
        HubClient(live_server, hub.vpcp.systemid, "wrong") as forger,
        pytest.raises(HubError) as err,
    ):
        forger.get_agencies()
    assert (err.value.code, err.value.http_status, err.value.retryable) == ("15", 401, False)


def test_client_network_errors_are_retryable():
    server = make_server("127.0.0.1", 0, lambda environ, start: [])
    port = server.server_port
    server.server_close()  # nothing listens there any more
    with HubClient(f"http://127.0.0.1:{port}", "x", "y", timeout=2) as client:
        with pytest.raises(HubUnavailable) as err:
            client.get_agencies()
    assert isinstance(err.value, HubClientError)
    assert err.value.retryable


def test_client_timeout_is_retryable(hub):
    hub_app = hub.make_app(HUB_CHAOS_DELAY_MS=1000, HUB_CHAOS_SEED=1)
    server = make_server("127.0.0.1", 0, hub_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        with HubClient(url, hub.vpcp.systemid, hub.vpcp.secret, timeout=0.05) as client:
            with pytest.raises(HubUnavailable):
                for _ in range(5):  # some draw a delay above 50 ms
                    client.get_agencies()
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


def test_non_json_answer_is_unavailable():
    def html(environ, start_response):
        return Response("<html>502 Bad Gateway</html>", status=502)(environ, start_response)

    with HubClient(BASE_URL, "x", "y", transport=httpx.WSGITransport(app=html)) as client:
        with pytest.raises(HubUnavailable) as err:
            client.get_agencies()
    assert err.value.http_status == 502


def test_mounted_under_hub_prefix_signs_full_path(hub, hub_app, pdf_bytes):
    def main_app(environ, start_response):
        return Response("eoffice", status=200)(environ, start_response)

    mounted = DispatcherMiddleware(main_app, {"/hub": hub_app})
    transport = httpx.WSGITransport(app=mounted)
    base = "http://127.0.0.1:5000/hub"
    with (
        HubClient(base, hub.kiengiang.systemid, hub.kiengiang.secret, transport=transport) as p,
        HubClient(base, hub.vpcp.systemid, hub.vpcp.secret, transport=transport) as v,
    ):
        doc_id = p.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
        assert [i["docId"] for i in v.get_received_list("edoc")] == [doc_id]
    # A client that signs the path without the prefix is refused.
    with httpx.Client(transport=transport) as raw:
        signer = HubClient(BASE_URL, hub.vpcp.systemid, hub.vpcp.secret)
        headers = signer.signed_headers("GET", "/getAgenciesList", b"")
        signer.close()
        response = raw.get(f"{base}/getAgenciesList", headers=headers)
    assert response.status_code == 401
    assert response.json()["ErrorCode"] == "15"


def test_concurrent_identical_sends_store_one_packet(hub, live_server, pdf_bytes):
    from concurrent.futures import ThreadPoolExecutor

    packet = edoc_bytes(pdf_bytes)

    def send(_: int) -> str:
        with HubClient(live_server, hub.kiengiang.systemid, hub.kiengiang.secret) as client:
            return client.send_edoc(packet, PROVINCE)

    with ThreadPoolExecutor(max_workers=8) as pool:
        doc_ids = set(pool.map(send, range(16)))
    assert len(doc_ids) == 1
    assert hub.counts() == (1, 1)
