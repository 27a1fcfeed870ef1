"""Helpers for the hub tests: constants, credentials, packet builders, in-process clients."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

import httpx

from eoffice.interop.edxml import (
    Attachment,
    EdocPacket,
    Organization,
    ResponseFor,
    StatusPacket,
    build_edoc,
    build_status,
    make_document_id,
)
from eoffice.interop.hub_client import HubClient

PROVINCE = "000.00.00.H33"
RACHGIA = "000.00.30.H33"
VPCP = "000.00.00.G22"
UNKNOWN = "000.00.99.H33"
BASE_URL = "http://hub.test"


@dataclass(frozen=True)
class Creds:
    """A connected system's credentials."""

    systemid: str
    secret: str


def scratch_hub(url: str) -> tuple[Any, Creds, Creds]:
    """A hub on a migrated database at ``url`` knowing PROVINCE and VPCP, each with its own
    connected system: the hub app and the two systems' credentials (province, VPCP)."""
    from eoffice.hub import create_hub_app
    from eoffice.hub import service as hub_service
    from eoffice.hub.db import upgrade_hub_db

    upgrade_hub_db(url)
    hub_app = create_hub_app({"HUB_DATABASE_URL": url, "TESTING": True})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, PROVINCE, "UBND tỉnh Kiên Giang")
        hub_service.register_agency(session, VPCP, "Văn phòng Chính phủ")
        province = Creds(*hub_service.register_system(session, "KG", [PROVINCE]))
        vpcp = Creds(*hub_service.register_system(session, "VPCP", [VPCP]))
    return hub_app, province, vpcp


def client_for(hub_app: Any, creds: Creds, base_url: str = BASE_URL, **kwargs: Any) -> HubClient:
    """A HubClient talking to ``hub_app`` in-process."""
    return HubClient(
        base_url,
        creds.systemid,
        creds.secret,
        transport=httpx.WSGITransport(app=hub_app),
        **kwargs,
    )


def make_edoc(
    pdf: bytes,
    *,
    sender: str = PROVINCE,
    recipients: tuple[str, ...] = (VPCP,),
    number: str = "05",
    attachments: tuple[Attachment, ...] | None = None,
    **changes: Any,
) -> EdocPacket:
    """A document packet model from ``sender`` to ``recipients`` with one PDF."""
    issued = date(2026, 11, 26)
    packet = EdocPacket(
        document_id=make_document_id(sender, issued, number, "CV-UBND"),
        sender=Organization(organ_id=sender, organ_name="UBND tỉnh Kiên Giang"),
        recipients=tuple(Organization(organ_id=code) for code in recipients),
        code_number=number,
        code_notation="CV-UBND",
        subject="V/v kết nối liên thông văn bản",
        place="Kiên Giang",
        promulgation_date=issued,
        type_name="Công văn",
        signer_full_name="Nguyễn Văn A",
        attachments=attachments
        if attachments is not None
        else (
            Attachment(
                content_id="cid:1",
                name="congvan.pdf",
                content_type="application/pdf",
                description="Văn bản chính",
                data=pdf,
            ),
        ),
    )
    return replace(packet, **changes) if changes else packet


def edoc_bytes(pdf: bytes, **kwargs: Any) -> bytes:
    """A built document packet."""
    return build_edoc(make_edoc(pdf, **kwargs))


def status_bytes(
    edoc: EdocPacket,
    code: str,
    *,
    sender: str = VPCP,
    when: datetime | None = None,
) -> bytes:
    """A built status packet from ``sender`` answering ``edoc``."""
    return build_status(
        StatusPacket(
            sender=Organization(organ_id=sender, organ_name="Văn phòng Chính phủ"),
            response_for=ResponseFor(
                organ_id=edoc.sender.organ_id,
                code=f"{edoc.code_number}/{edoc.code_notation}",
                promulgation_date=edoc.promulgation_date,
                document_id=edoc.document_id,
            ),
            status_code=code,
            description=f"Trạng thái {code}",
            timestamp=when or datetime.now(UTC),
        )
    )
