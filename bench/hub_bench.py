"""Hub throughput by hand: packets delivered per second, healthy vs. 30% failing hub.

Runs in-process (httpx WSGITransport, a temporary SQLite database): a sender posts N
document packets with retries, a receiver drains them (list → get → ack) with retries,
and the run checks that every packet was registered exactly once. Prints the rates and
the ratio chaotic/healthy.

    .venv/bin/python bench/hub_bench.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import httpx
from fpdf import FPDF

from eoffice.hub import create_hub_app, service
from eoffice.hub.db import upgrade_hub_db
from eoffice.interop.edxml import (
    Attachment,
    EdocPacket,
    Organization,
    build_edoc,
    make_document_id,
    parse_packet,
)
from eoffice.interop.hub_client import HubClient, HubUnavailable

T = TypeVar("T")
SENDER, RECEIVER = "000.00.00.H33", "000.00.00.G22"


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="bench")
    return bytes(pdf.output())


def _packet(pdf: bytes, n: int) -> bytes:
    issued = date(2026, 11, 26)
    return build_edoc(
        EdocPacket(
            document_id=make_document_id(SENDER, issued, str(n), "CV-UBND"),
            sender=Organization(organ_id=SENDER),
            recipients=(Organization(organ_id=RECEIVER),),
            code_number=str(n),
            code_notation="CV-UBND",
            subject=f"Văn bản thử số {n}",
            attachments=(Attachment("cid:1", "vb.pdf", "application/pdf", "", pdf),),
        )
    )


def _retry(call: Callable[[], T]) -> T:
    while True:
        try:
            return call()
        except HubUnavailable:
            continue


def run(n: int, fail_rate: float) -> float:
    """Deliver ``n`` packets through a hub failing ``fail_rate`` of requests; packets/s."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/hub.db"
        upgrade_hub_db(url)
        app = create_hub_app(
            {"HUB_DATABASE_URL": url, "HUB_CHAOS_FAIL_RATE": fail_rate, "HUB_CHAOS_SEED": 1}
        )
        with app.extensions["hub"].sessions.begin() as session:
            service.register_agency(session, SENDER, "UBND tỉnh Kiên Giang")
            service.register_agency(session, RECEIVER, "Văn phòng Chính phủ")
            a = service.register_system(session, "A", [SENDER])
            b = service.register_system(session, "B", [RECEIVER])
        pdf = _pdf()
        packets = [_packet(pdf, i) for i in range(n)]
        transport = httpx.WSGITransport(app=app)
        started = time.perf_counter()
        registered: set[str] = set()
        with (
            HubClient("http://hub", *a, transport=transport) as sender,
            HubClient("http://hub", *b, transport=transport) as receiver,
        ):
            for packet in packets:
                _retry(lambda p=packet: sender.send_edoc(p, SENDER))
            while items := _retry(lambda: receiver.get_received_list("edoc")):
                for item in items:
                    data = _retry(lambda i=item: receiver.get_edoc(i["docId"]))
                    document_id = parse_packet(data).document_id
                    assert document_id not in registered, "registered twice"
                    registered.add(document_id)
                    _retry(lambda i=item: receiver.update_status(i["docId"], "done"))
        elapsed = time.perf_counter() - started
        assert len(registered) == n, "packets lost"
        app.extensions["hub"].engine.dispose()
        return n / elapsed


def main() -> None:
    """Print packets/s for a healthy and a 30%-failing hub, and their ratio."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    healthy = run(n, 0.0)
    chaotic = run(n, 0.3)
    print(f"packets: {n}")
    print(f"healthy hub:     {healthy:8.1f} packets/s")
    print(f"30% failing hub: {chaotic:8.1f} packets/s (none lost, none doubled)")
    print(f"ratio chaotic/healthy: {chaotic / healthy:.2f}")


if __name__ == "__main__":
    main()
