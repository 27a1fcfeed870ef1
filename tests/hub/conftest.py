"""Fixtures for the hub: a migrated database, apps, a seeded directory, clients, a PDF."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fpdf import FPDF
from hub_helpers import PROVINCE, RACHGIA, VPCP, Creds, client_for
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.db import upgrade_hub_db
from eoffice.hub.models import Delivery, Packet
from eoffice.interop.hub_client import HubClient


@dataclass(frozen=True)
class Hub:
    """A migrated hub database with two connected systems, and an hub_app factory on it."""

    url: str
    kiengiang: Creds
    vpcp: Creds
    make_app: Callable[..., Any]

    def session(self) -> Session:
        """A session on the hub database (for assertions)."""
        return self.make_app().extensions["hub"].sessions()

    def counts(self) -> tuple[int, int]:
        """(packets, deliveries) stored."""
        with self.session() as session:
            return (
                session.scalar(select(func.count()).select_from(Packet)) or 0,
                session.scalar(select(func.count()).select_from(Delivery)) or 0,
            )


@pytest.fixture
def hub(tmp_path) -> Iterator[Hub]:
    url = f"sqlite:///{tmp_path}/hub.db"
    upgrade_hub_db(url)
    apps: list[Any] = []

    def make_app(**config: Any) -> Any:
        hub_app = create_hub_app({"HUB_DATABASE_URL": url, "TESTING": True, **config})
        apps.append(hub_app)
        return hub_app

    sessions = make_app().extensions["hub"].sessions
    with sessions.begin() as session:
        hub_service.register_agency(session, PROVINCE, "UBND tỉnh Kiên Giang")
        hub_service.register_agency(session, RACHGIA, "UBND thành phố Rạch Giá", PROVINCE)
        hub_service.register_agency(session, VPCP, "Văn phòng Chính phủ")
        kiengiang = Creds(
            *hub_service.register_system(session, "eoffice Kiên Giang", [PROVINCE, RACHGIA])
        )
        vpcp = Creds(*hub_service.register_system(session, "VPCP", [VPCP]))
    yield Hub(url=url, kiengiang=kiengiang, vpcp=vpcp, make_app=make_app)
    for hub_app in apps:
        hub_app.extensions["hub"].engine.dispose()


@pytest.fixture
def hub_app(hub: Hub) -> Any:
    return hub.make_app()


@pytest.fixture
def province(hub_app: Any, hub: Hub) -> Iterator[HubClient]:
    with client_for(hub_app, hub.kiengiang) as client:
        yield client


@pytest.fixture
def vpcp(hub_app: Any, hub: Hub) -> Iterator[HubClient]:
    with client_for(hub_app, hub.vpcp) as client:
        yield client


@pytest.fixture(scope="session")
def pdf_bytes() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Cong van thu nghiem")
    return bytes(pdf.output())
