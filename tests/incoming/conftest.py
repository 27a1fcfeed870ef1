"""Fixtures for incoming documents: a province and a city in one installation, connected
to an in-process hub (over WSGI), and a sender that signs real PDFs with the app PKI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from helpers import plain_pdf
from incoming_helpers import PROVINCE, RACHGIA, VPCP, WARD, World
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

import signing
from eoffice.documents import keys
from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.interop.hub_client import HubClient


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests create a dozen accounts each: hash their passwords cheaply."""
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


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


