"""Helpers for the incoming tests (importable as ``incoming_helpers``): the bodies' codes,
signed packets from the province, sending through the hub and pumping it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from eoffice.core.uow import unit_of_work
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.interop.hub_client import HubClient
from eoffice.interop.models import OutboxMessage

PROVINCE, RACHGIA, WARD, VPCP = "000.00.00.H33", "000.00.30.H33", "000.21.30.H33", "000.00.00.G22"


@dataclass
class World:
    """The bodies and people of the tests."""

    province: Any
    rachgia: Any
    ward: Any
    unit_vp: Any
    unit_nv: Any
    clerk: Any
    leader: Any
    head_vp: Any
    specialist: Any
    specialist_nv: Any
    ward_clerk: Any
    ward_leader: Any
    province_clerk: Any
    peer: HubClient | None = None


def tamper(pdf: bytes) -> bytes:
    """Flip one byte inside the signed content."""
    data = bytearray(pdf)
    index = data.find(b"stream") + 20
    data[index] ^= 0x01
    return bytes(data)


def make_packet(pdf: bytes, *, to: tuple[str, ...] = (RACHGIA,), number: str = "05",
                notation: str = "CT-UBND", sender: str = PROVINCE, priority: int = 0,
                subject: str = "Chỉ thị về đẩy mạnh cải cách hành chính năm 2026",
                business_doc_type: int = 0, business_document_id: str = "",
                issued: date = date(2026, 11, 20), signer: Any = None) -> bytes:
    """An edXML document packet from the province carrying ``pdf``."""
    return edxml.build_edoc(edxml.EdocPacket(
        document_id=edxml.make_document_id(sender, issued, number, notation),
        sender=edxml.Organization(organ_id=sender, organ_name="Ủy ban nhân dân tỉnh Kiên Giang"),
        recipients=tuple(edxml.Organization(organ_id=c, organ_name=c) for c in to),
        code_number=number, code_notation=notation, subject=subject,
        promulgation_date=issued, type_name="Chỉ thị", signer_position="Chủ tịch",
        signer_full_name="Trần Quốc Khánh", priority=priority,
        business_doc_type=business_doc_type, business_document_id=business_document_id,
        attachments=(edxml.Attachment(content_id="1", name=f"{number}-{notation}.pdf",
                                      content_type="application/pdf", description="",
                                      data=pdf),),
    ), signer=signer)


def send_from_province(packet: bytes, to: tuple[str, ...] = (RACHGIA,)) -> str:
    """The province queues ``packet`` and it is delivered to the hub; returns DocumentId."""
    document_id = edxml.parse_packet(packet).document_id
    with unit_of_work():
        message = interop.enqueue_packet(packet=packet, message_type="edoc", from_code=PROVINCE,
                                         to_codes=list(to), document_id=document_id,
                                         subject="Chỉ thị")
    assert interop.deliver(message.id) == "sent"
    return document_id


def pump() -> None:
    """Deliver every pending outbox row and poll the hub, until nothing moves."""
    for _ in range(5):
        pending = db.session.execute(sa.select(OutboxMessage.id).where(
            OutboxMessage.state == "pending")).scalars().all()
        for message_id in pending:
            interop.deliver(message_id)
        counts = interop.poll()
        if not pending and not any(counts.values()):
            return


def receive(packet: bytes, to: tuple[str, ...] = (RACHGIA,)) -> IncomingDocument:
    """Send from the province and receive at the city; the new incoming document."""
    document_id = send_from_province(packet, to)
    interop.poll()
    return db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.document_id == document_id).order_by(IncomingDocument.id.desc())
    ).scalars().first()


def sent_statuses(document_id: str, from_code: str = RACHGIA) -> list[str]:
    """Status codes the receiver queued back for ``document_id``, in order."""
    return list(db.session.execute(sa.select(OutboxMessage.status_code).where(
        OutboxMessage.message_type == "status", OutboxMessage.document_id == document_id,
        OutboxMessage.from_code == from_code)
        .order_by(OutboxMessage.id)).scalars())
