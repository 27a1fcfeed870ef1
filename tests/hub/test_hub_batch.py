"""The hub's batch endpoints (getEdocs, updateStatuses) and the client's fallback to the
one-packet calls when a hub does not have them."""

from __future__ import annotations

import json

import httpx
import pytest
from hub_helpers import BASE_URL, PROVINCE, RACHGIA, VPCP, edoc_bytes, make_edoc, status_bytes
from sqlalchemy import select

from eoffice.hub.models import Delivery, DeliveryStatus
from eoffice.interop.hub_client import HubClient, HubError


def _send(province, pdf_bytes, numbers, recipients=(VPCP,)):
    return [province.send_edoc(edoc_bytes(pdf_bytes, number=n, recipients=recipients), PROVINCE)
            for n in numbers]


def test_get_edocs_returns_readable_packets_and_names_the_rest(hub, province, vpcp, pdf_bytes):
    mine = _send(province, pdf_bytes, ["1", "2", "3"])
    theirs = province.send_edoc(edoc_bytes(pdf_bytes, number="4", recipients=(RACHGIA,)),
                                PROVINCE)
    found = vpcp.get_edocs([*mine, theirs, "no-such-doc"])
    # the same bytes getEdoc serves, one call for all
    assert set(found) == set(mine)
    assert all(found[doc_id] == vpcp.get_edoc(doc_id) for doc_id in mine)
    # a packet for another system's body is not an oracle: left out like an unknown id
    answer = vpcp._call("POST", "getEdocs", body=json.dumps({"docIds": [mine[0], theirs]})
                        .encode(), headers={"Content-Type": "application/json"})
    assert [e["docId"] for e in answer["data"]] == [mine[0]] and answer["missing"] == [theirs]
    # the sender may read what it sent
    assert set(province.get_edocs(mine)) == set(mine)
    # reading acknowledges nothing
    assert len(vpcp.get_received_list("edoc")) == 3


def test_update_statuses_acknowledges_each_and_reports_refusals(hub, province, vpcp, pdf_bytes):
    first, second = _send(province, pdf_bytes, ["1", "2"])
    both = province.send_edoc(edoc_bytes(pdf_bytes, number="3", recipients=(VPCP, RACHGIA)),
                              PROVINCE)
    applied = vpcp.update_statuses([(first, "done", VPCP), (second, "fail", None),
                                    (both, "done", VPCP), ("no-such-doc", "done", None),
                                    (first, "maybe", None)])
    assert applied == {(first, VPCP), (second, ""), (both, VPCP)}
    assert vpcp.get_received_list("edoc") == []
    # the other body's delivery of the shared packet is untouched
    assert [i["docId"] for i in province.get_received_list("edoc")] == [both]
    with hub.session() as session:
        states = {d.recipient_code + d.packet.doc_id: d.status
                  for d in session.scalars(select(Delivery))}
    assert states[VPCP + second] is DeliveryStatus.fail
    assert states[RACHGIA + both] is DeliveryStatus.pending
    # acknowledging again is a no-op, as with updateStatus
    assert vpcp.update_statuses([(first, "done", VPCP)]) == {(first, VPCP)}
    answer = vpcp._call("POST", "updateStatuses", body=json.dumps({"items": [
        {"docId": "no-such-doc", "status": "done"}]}).encode())
    assert answer["data"][0]["ErrorCode"] == "18" and answer["data"][0]["updated"] == 0


@pytest.mark.parametrize(("endpoint", "body"), [
    ("getEdocs", b"not json"),
    ("getEdocs", b'{"docIds": "abc"}'),
    ("getEdocs", b'{"docIds": []}'),
    ("getEdocs", json.dumps({"docIds": [f"d{i}" for i in range(101)]}).encode()),
    ("updateStatuses", b"[1, 2]"),
    ("updateStatuses", b'{"items": []}'),
    ("updateStatuses", b'{"items": ["abc"]}'),
])
def test_batch_endpoints_refuse_bad_input_with_error_10(hub, province, vpcp, pdf_bytes,
                                                       endpoint, body):
    (doc_id,) = _send(province, pdf_bytes, ["1"])
    with pytest.raises(HubError) as refused:
        vpcp._call("POST", endpoint, body=body)
    assert refused.value.code == "10" and refused.value.http_status == 400
    assert [i["docId"] for i in vpcp.get_received_list("edoc")] == [doc_id]


def test_batch_endpoints_need_authentication(hub_app):
    client = httpx.Client(transport=httpx.WSGITransport(app=hub_app), base_url=BASE_URL)
    answer = client.post("/getEdocs", content=b'{"docIds": ["x"]}')
    assert answer.status_code == 401 and answer.json()["ErrorCode"] == "15"


def test_client_falls_back_to_single_calls_without_batch_endpoints(hub, hub_app, province,
                                                                    vpcp, pdf_bytes):
    """A hub that only speaks the national axis API (no getEdocs/updateStatuses)."""
    first, second = _send(province, pdf_bytes, ["1", "2"])
    asked: list[str] = []
    inner = httpx.WSGITransport(app=hub_app)

    class AxisOnly(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            asked.append(request.url.path)
            if request.url.path.endswith(("/getEdocs", "/updateStatuses")):
                return httpx.Response(404, json={"status": "FAIL", "ErrorCode": "10",
                                                 "ErrorDesc": "Not Found"})
            return inner.handle_request(request)

    client = HubClient(BASE_URL, hub.vpcp.systemid, hub.vpcp.secret, transport=AxisOnly())
    found = client.get_edocs([first, second, "no-such-doc"])
    assert set(found) == {first, second}
    assert client.update_statuses([(first, "done", None), (second, "done", VPCP),
                                   ("no-such-doc", "done", None)]) == {(first, ""),
                                                                      (second, VPCP)}
    assert vpcp.get_received_list("edoc") == []
    # the batch endpoints were tried once, then the client stopped asking for them
    assert asked.count("/getEdocs") == 1 and asked.count("/updateStatuses") == 0


def test_get_edocs_framing_carries_the_same_bytes_unencoded(hub, province, vpcp, pdf_bytes):
    mine = _send(province, pdf_bytes, ["1", "2", "3"])
    framed = vpcp._request("POST", "getEdocs",
                           body=json.dumps({"docIds": [*mine, "no-such-doc"]}).encode(),
                           headers={"Accept": "application/vnd.eoffice.edocs"})
    assert framed.status_code == 200
    assert framed.headers["content-type"].startswith("application/vnd.eoffice.edocs")
    head, _, rest = framed.content.partition(b"\n")
    index = json.loads(head)
    assert index["missing"] == ["no-such-doc"] and "data" not in index["data"][0]
    # no base64: the body is the index plus the packets themselves
    assert len(rest) == sum(e["size"] for e in index["data"])
    assert vpcp.get_edocs(mine) == {doc_id: vpcp.get_edoc(doc_id) for doc_id in mine}


@pytest.mark.parametrize("body", [
    b'{"status":"OK","data":[{"docId":"a","size":5}]}\nabc',  # shorter than announced
    b'{"status":"OK","data":[{"docId":"a","size":2}]}\nabc',  # longer
    b'{"status":"OK","data":[{"docId":"a"}]}\nabc',  # no size
    b'not json\nabc',
    b'{"status":"OK","data":[{"docId":"a","size":3}]}',  # no packet part at all
])
def test_malformed_framing_is_a_retryable_hub_failure(body):
    from eoffice.interop.hub_client import HubUnavailable

    def answer(request):
        return httpx.Response(200, content=body,
                              headers={"content-type": "application/vnd.eoffice.edocs"})

    client = HubClient(BASE_URL, "sys", "secret", transport=httpx.MockTransport(answer))
    with pytest.raises(HubUnavailable):
        client.get_edocs(["a"])


def test_one_list_call_names_both_message_types_in_delivery_order(hub, province, vpcp,
                                                                   pdf_bytes):
    """``messagetype: edoc,status`` (an eoffice extension): what a poll needs in one call."""
    [sent] = _send(province, pdf_bytes, ["1"])  # province → VPCP
    status = vpcp.send_edoc(status_bytes(make_edoc(pdf_bytes, number="1"), "01"), VPCP, "status")
    edoc = vpcp.send_edoc(edoc_bytes(pdf_bytes, number="2", sender=VPCP,
                                     recipients=(PROVINCE,)), VPCP)
    both = province.get_received_list("edoc,status")
    assert [(i["docId"], i["messageType"]) for i in both] == [(status, "status"), (edoc, "edoc")]
    assert province.get_received_list("status") == both[:1]
    assert province.get_received_lists() == {"edoc": both[1:], "status": both[:1]}
    assert vpcp.get_received_lists() == {"edoc": vpcp.get_received_list("edoc"), "status": []}
    assert [i["docId"] for i in vpcp.get_received_lists()["edoc"]] == [sent]
    with pytest.raises(HubError) as refused:
        province.get_received_list("edoc,letters")
    assert (refused.value.code, refused.value.http_status) == ("10", 400)


def test_client_lists_type_by_type_on_a_hub_that_lists_one_type(hub, hub_app, province,
                                                                  pdf_bytes):
    """The national axis lists one message type per call: the client asks once for both,
    then type by type."""
    [sent] = _send(province, pdf_bytes, ["1"])
    asked: list[str] = []
    inner = httpx.WSGITransport(app=hub_app)

    class AxisOnly(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            kind = request.headers.get("messagetype", "")
            asked.append(kind)
            if "," in kind:
                return httpx.Response(400, json={"status": "FAIL", "ErrorCode": "10",
                                                 "ErrorDesc": "messagetype"})
            return inner.handle_request(request)

    client = HubClient(BASE_URL, hub.vpcp.systemid, hub.vpcp.secret, transport=AxisOnly())
    for _ in range(2):
        lists = client.get_received_lists(("edoc", "status"))
        assert [i["docId"] for i in lists["edoc"]] == [sent] and lists["status"] == []
    assert asked == ["edoc,status", "edoc", "status", "edoc", "status"]
