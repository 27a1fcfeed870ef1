"""The hub API end to end through the HTTP client: send, list, fetch, ack, statuses, directory."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hub_helpers import PROVINCE, RACHGIA, VPCP, edoc_bytes, make_edoc, status_bytes
from sqlalchemy import select

from eoffice.hub.models import Delivery, DeliveryStatus, Packet
from eoffice.interop.edxml import build_edoc, parse_packet
from eoffice.interop.hub_client import HubError


def test_send_list_fetch_ack(hub, province, vpcp, pdf_bytes):
    packet = edoc_bytes(pdf_bytes)
    doc_id = province.send_edoc(packet, PROVINCE)

    listed = vpcp.get_received_list("edoc")
    assert [(i["docId"], i["from"], i["to"], i["status"]) for i in listed] == [
        (doc_id, PROVINCE, VPCP, "pending")
    ]
    assert listed[0]["messageType"] == "edoc"
    assert listed[0]["documentId"] == "000.00.00.H33,2026/11/26,05/CV-UBND"
    assert listed[0]["created_time"].endswith("Z")
    # Nothing for the sender's own system, and no status packets for anyone yet.
    assert province.get_received_list("edoc") == []
    assert vpcp.get_received_list("status") == []

    fetched = vpcp.get_edoc(doc_id)
    received = parse_packet(fetched)
    assert received.document_id == "000.00.00.H33,2026/11/26,05/CV-UBND"
    assert received.attachments[0].data == pdf_bytes
    # The hub appended its hop to the trace; the rest of the packet is intact.
    assert [hop.organ_id for hop in received.trace] == [VPCP]
    assert abs(received.trace[0].timestamp - datetime.now(UTC)) < timedelta(minutes=1)
    assert parse_packet(packet).trace == ()

    # Listed until acknowledged; fetching does not acknowledge.
    assert [i["docId"] for i in vpcp.get_received_list("edoc")] == [doc_id]
    assert vpcp.update_status(doc_id, "done") == 1
    assert vpcp.get_received_list("edoc") == []
    # Acknowledging again is a harmless no-op; the packet can still be fetched.
    assert vpcp.update_status(doc_id, "done") == 1
    assert vpcp.get_edoc(doc_id) == fetched


def test_one_packet_many_recipients_acked_separately(hub, province, vpcp, pdf_bytes):
    doc_id = province.send_edoc(edoc_bytes(pdf_bytes, recipients=(VPCP, RACHGIA)), PROVINCE)
    assert hub.counts() == (1, 2)
    # The province's own system owns RACHGIA: it sees the delivery to that body.
    mine = province.get_received_list("edoc")
    assert [(i["docId"], i["to"]) for i in mine] == [(doc_id, RACHGIA)]
    province.update_status(doc_id, "fail", to=RACHGIA)
    assert province.get_received_list("edoc") == []
    # The other recipient's delivery is untouched.
    assert [i["docId"] for i in vpcp.get_received_list("edoc")] == [doc_id]
    sent = {row["toCode"]: row for row in province.get_sent_list()}
    assert sent[RACHGIA]["sendStatus"] == "fail"
    assert sent[VPCP]["sendStatus"] == "pending"


def test_idempotent_send_returns_same_docid(hub, province, pdf_bytes):
    packet = edoc_bytes(pdf_bytes)
    first = province.send_edoc(packet, PROVINCE)
    second = province.send_edoc(packet, PROVINCE)
    assert first == second
    assert hub.counts() == (1, 1)
    # Same DocumentId with different content is a new packet (e.g. a corrected resend).
    other = edoc_bytes(pdf_bytes, subject="V/v nội dung đã sửa")
    assert province.send_edoc(other, PROVINCE) != first
    assert hub.counts() == (2, 2)


def test_status_routed_back_and_sent_list_keeps_latest(hub, province, vpcp, pdf_bytes):
    edoc = make_edoc(pdf_bytes)
    doc_id = province.send_edoc(build_edoc(edoc), PROVINCE)
    vpcp.update_status(doc_id, "done")

    t0 = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    s01 = vpcp.send_edoc(status_bytes(edoc, "01", when=t0), VPCP, messagetype="status")
    s03 = vpcp.send_edoc(
        status_bytes(edoc, "03", when=t0 + timedelta(minutes=5)), VPCP, messagetype="status"
    )
    # A late duplicate of an older status does not move the latest status back.
    s01_late = vpcp.send_edoc(
        status_bytes(edoc, "01", when=t0 + timedelta(minutes=1)), VPCP, messagetype="status"
    )

    # Statuses are routed to the issuer (ResponseFor/OrganId), listed as messagetype=status.
    statuses = province.get_received_list("status")
    assert [i["docId"] for i in statuses] == [s01, s03, s01_late]
    assert {i["to"] for i in statuses} == {PROVINCE}
    assert [i["statusCode"] for i in statuses] == ["01", "03", "01"]
    assert province.get_received_list("edoc") == []
    assert vpcp.get_received_list("status") == []
    assert parse_packet(province.get_edoc(s03)).status_code == "03"

    [row] = province.get_sent_list()
    assert row["docId"] == doc_id
    assert row["toCode"] == VPCP
    assert row["sendStatus"] == "done"
    assert row["receivedTime"] is not None
    assert row["receiveStatus"] == "03"
    assert row["receiveStatusDesc"] == "Trạng thái 03"
    # The receiver's system sees nothing as sent by it except through its own bodies.
    assert vpcp.get_sent_list() == []

    for status_doc in (s01, s03, s01_late):
        province.update_status(status_doc, "done")
    assert province.get_received_list("status") == []


def test_agencies_list(province):
    agencies = {a["code"]: a for a in province.get_agencies()}
    assert agencies[RACHGIA] == {
        "code": RACHGIA,
        "name": "UBND thành phố Rạch Giá",
        "parentCode": PROVINCE,
        "active": True,
        "connected": True,
    }
    assert set(agencies) == {PROVINCE, RACHGIA, VPCP}


def test_get_and_ack_only_for_own_packets(hub, hub_app, province, vpcp, pdf_bytes):
    from hub_helpers import client_for

    from eoffice.hub import service
    from eoffice.hub.db import make_engine, make_sessionmaker

    sessions = make_sessionmaker(make_engine(hub.url))
    with sessions.begin() as session:
        service.register_agency(session, "000.00.00.H01", "UBND tỉnh An Giang")
        other = service.register_system(session, "An Giang", ["000.00.00.H01"])
    doc_id = province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
    with client_for(hub_app, type(hub.vpcp)(*other)) as stranger:
        for call in (
            lambda: stranger.get_edoc(doc_id),
            lambda: stranger.update_status(doc_id, "done"),
        ):
            with pytest.raises(HubError) as err:
                call()
            assert (err.value.code, err.value.http_status) == ("18", 404)
    # The sender may read back what it sent but cannot acknowledge for the receiver.
    assert province.get_edoc(doc_id)
    with pytest.raises(HubError) as err:
        province.update_status(doc_id, "done")
    assert err.value.code == "18"
    with pytest.raises(HubError) as err:
        vpcp.get_edoc("no-such-doc")
    assert (err.value.code, err.value.http_status) == ("18", 404)
    with pytest.raises(HubError) as err:
        vpcp.update_status(doc_id, "processing")
    assert (err.value.code, err.value.http_status) == ("10", 400)
    with sessions() as session:
        delivery = session.scalars(select(Delivery)).one()
        assert delivery.status is DeliveryStatus.pending
    sessions.kw["bind"].dispose()


def test_stored_packet_keeps_received_hash(hub, province, pdf_bytes):
    import hashlib

    packet = edoc_bytes(pdf_bytes)
    doc_id = province.send_edoc(packet, PROVINCE)
    with hub.session() as session:
        row = session.scalars(select(Packet).where(Packet.doc_id == doc_id)).one()
        assert row.content_sha256 == hashlib.sha256(packet).hexdigest()
        assert row.data != packet
        assert row.size == len(row.data)
        assert row.created_at.tzinfo is not None
