"""A built-in peer: a body that answers like a real receiving e-office (demo only).

The demo directory holds ``000.00.00.G22`` Văn phòng Chính phủ, which no installation in
the demo serves. :func:`run_peer_once` plays its receiving side through the ordinary hub
client (as the system owning that body): for each document waiting for it, fetch it,
parse it, send status **01** (đã đến / received) and **03** (đã tiếp nhận / accepted) back
to the issuer, then acknowledge it at the hub (``done``). Statuses go out before the ack,
so a crash in between re-sends them on the next run rather than losing them (the issuer
keeps the latest status, so a repeat is harmless). A packet that does not parse is
acknowledged ``fail``. Status packets addressed to the peer are simply acknowledged.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from eoffice.interop.edxml import (
    EdocPacket,
    EdxmlError,
    Organization,
    ResponseFor,
    StatusPacket,
    build_status,
    parse_packet,
)
from eoffice.interop.hub_client import HubClient

log = logging.getLogger(__name__)

PEER_NAME = "Văn phòng Chính phủ"
PEER_STAFF = ("Phòng Văn thư", "Văn thư điện tử (mô phỏng)")
PEER_STATUSES = (
    ("01", "Đã đến - Phần mềm QLVB đã nhận nhưng văn thư chưa xử lý"),
    ("03", "Đã tiếp nhận - Văn thư đã tiếp nhận và vào sổ văn bản đến"),
)


def answer_statuses(packet: EdocPacket, org_code: str, *, org_name: str = PEER_NAME) -> list[bytes]:
    """The status packets (01, then 03) a receiver sends back for a document."""
    response_for = ResponseFor(
        organ_id=packet.sender.organ_id,
        code=f"{packet.code_number}/{packet.code_notation}",
        promulgation_date=packet.promulgation_date,
        document_id=packet.document_id,
    )
    now = datetime.now(UTC)
    return [
        build_status(
            StatusPacket(
                sender=Organization(organ_id=org_code, organ_name=org_name),
                response_for=response_for,
                status_code=code,
                description=description,
                timestamp=now,
                staff_department=PEER_STAFF[0],
                staff_name=PEER_STAFF[1],
            )
        )
        for code, description in PEER_STATUSES
    ]


def run_peer_once(client: HubClient, org_code: str, *, org_name: str = PEER_NAME) -> int:
    """Receive and acknowledge everything waiting for ``org_code``; return documents handled."""
    handled = 0
    for item in client.get_received_list("edoc"):
        if item.get("to") != org_code:
            continue
        doc_id = str(item["docId"])
        try:
            packet = parse_packet(client.get_edoc(doc_id))
        except EdxmlError as exc:
            log.warning("peer %s: packet %s refused: %s", org_code, doc_id, exc)
            client.update_status(doc_id, "fail", to=org_code)
            continue
        if isinstance(packet, EdocPacket):
            for status in answer_statuses(packet, org_code, org_name=org_name):
                client.send_edoc(status, org_code, messagetype="status")
        client.update_status(doc_id, "done", to=org_code)
        handled += 1
    for item in client.get_received_list("status"):
        if item.get("to") == org_code:
            client.update_status(str(item["docId"]), "done", to=org_code)
    return handled
