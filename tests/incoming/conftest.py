"""Fixtures for incoming documents: a province and a city in one installation, connected
to an in-process hub (over WSGI), and a sender that signs real PDFs with the app PKI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fpdf import FPDF
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

import signing
from eoffice.core.uow import unit_of_work
from eoffice.documents import keys
from eoffice.extensions import db
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.incoming.models import IncomingDocument
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.interop.hub_client import HubClient
from eoffice.interop.models import OutboxMessage

PROVINCE, RACHGIA, WARD, VPCP = "000.00.00.H33", "000.00.30.H33", "000.21.30.H33", "000.00.00.G22"


def plain_pdf(text: str = "Chi thi so 05 ve cai cach hanh chinh") -> bytes:
    """An unsigned one-page PDF."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests create a dozen accounts each: hash their passwords cheaply."""
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


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


@pytest.fixture
def world(make_org: Callable[..., Any], make_user: Callable[..., Any]) -> World:
    province = make_org(code=PROVINCE, name="Ủy ban nhân dân tỉnh Kiên Giang")
    rachgia = make_org(tier="district", parent=province, code=RACHGIA,
                       name="Ủy ban nhân dân thành phố Rạch Giá")
    ward = make_org(tier="commune", parent=rachgia, code=WARD,
                    name="Ủy ban nhân dân phường Vĩnh Thanh Vân")
    unit_vp = make_org(tier="unit", parent=rachgia, name="Văn phòng HĐND và UBND",
                       short_name="VP")
    unit_nv = make_org(tier="unit", parent=rachgia, name="Phòng Nội vụ", short_name="NV")
    return World(
        province=province, rachgia=rachgia, ward=ward, unit_vp=unit_vp, unit_nv=unit_nv,
        clerk=make_user("clerk", org=rachgia, username="vt.rg", full_name="Ngô Thị Thu Trang",
                        email="vt.rg@example.vn"),
        leader=make_user("leader", org=rachgia, username="ld.rg", full_name="Huỳnh Văn Phúc",
                         email="ld.rg@example.vn"),
        head_vp=make_user("head", org=rachgia, unit=unit_vp, username="tp.vp",
                          full_name="Lâm Chánh Văn", email="tp.vp@example.vn"),
        specialist=make_user("specialist", org=rachgia, unit=unit_vp, username="cv.rg",
                             full_name="Võ Thanh Hải", email="cv.rg@example.vn"),
        specialist_nv=make_user("specialist", org=rachgia, unit=unit_nv, username="cv.nv",
                                full_name="Trương Nội Vụ"),
        ward_clerk=make_user("clerk", org=ward, username="vt.xa"),
        ward_leader=make_user("leader", org=ward, username="ld.xa"),
        province_clerk=make_user("clerk", org=province, username="vt.tinh"),
    )


@pytest.fixture(scope="session")
def signed_pdf_cache() -> dict[str, bytes]:
    return {}


@pytest.fixture
def signed_pdf(world: World, signed_pdf_cache: dict[str, bytes]) -> bytes:
    """A PDF signed by the province's body key (B-T), valid and trusted here.

    Signed once per run: the app's PKI (and so the trust root) lives for the whole run."""
    if "province" not in signed_pdf_cache:
        key = keys.load_body_key(world.province)
        signed_pdf_cache["province"] = signing.sign_pdf(plain_pdf(), key, signing.SignOptions(
            field_name="Seal", level=signing.PadesLevel.B_T, timestamps=keys.timestamps(),
            revocation=keys.revocation())).pdf
    return signed_pdf_cache["province"]


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


@pytest.fixture
def hub(app: Any, tmp_path: Any, world: World) -> Any:
    """An in-process hub holding both bodies of this installation and a peer system."""
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade_hub_db(url)
    hub_app = create_hub_app({"HUB_DATABASE_URL": url, "TESTING": True})
    with hub_app.extensions["hub"].sessions.begin() as session:
        hub_service.register_agency(session, PROVINCE, "UBND tỉnh", None)
        hub_service.register_agency(session, RACHGIA, "UBND TP Rạch Giá", PROVINCE)
        hub_service.register_agency(session, WARD, "UBND phường", RACHGIA)
        hub_service.register_agency(session, VPCP, "Văn phòng Chính phủ", None)
        ours = hub_service.register_system(session, "kiengiang", [PROVINCE, RACHGIA, WARD])
        peer = hub_service.register_system(session, "vpcp", [VPCP])
    wsgi = DispatcherMiddleware(Response("not found", status=404), {"/hub": hub_app})
    transport = httpx.WSGITransport(app=wsgi)
    saved = dict(app.config)
    app.config.update(HUB_SYSTEM_ID=ours[0], HUB_SECRET=ours[1])
    app.extensions["hub_transport"] = transport
    world.peer = HubClient("http://hub.test/hub", *peer, transport=transport)
    yield world
    app.extensions.pop("hub_transport")
    app.config.clear()
    app.config.update(saved)
    hub_app.extensions["hub"].engine.dispose()


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
