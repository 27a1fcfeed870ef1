"""Fixtures for the distribution tests: one district body with two units and people, a
second body, and registered paper documents."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from helpers import plain_pdf

from eoffice.core.uow import unit_of_work
from eoffice.incoming import service


@dataclass
class Body:
    org: Any
    unit_vp: Any
    unit_nv: Any
    clerk: Any
    leader: Any
    vp1: Any
    vp2: Any
    nv1: Any
    other: Any
    other_body: Any
    other_clerk: Any
    other_person: Any


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def body(make_org: Callable[..., Any], make_user: Callable[..., Any]) -> Body:
    province = make_org(name="UBND tỉnh thử")
    org = make_org(tier="district", parent=province, name="UBND thành phố thử")
    vp = make_org(tier="unit", parent=org, name="Văn phòng", short_name="VP")
    nv = make_org(tier="unit", parent=org, name="Phòng Nội vụ", short_name="NV")
    other_body = make_org(tier="district", parent=province, name="UBND huyện khác")
    return Body(
        org=org, unit_vp=vp, unit_nv=nv,
        clerk=make_user("clerk", org=org, username="d.clerk"),
        leader=make_user("leader", org=org, username="d.leader"),
        vp1=make_user("specialist", org=org, unit=vp, username="d.vp1", full_name="An VP"),
        vp2=make_user("specialist", org=org, unit=vp, username="d.vp2", full_name="Bình VP"),
        nv1=make_user("specialist", org=org, unit=nv, username="d.nv1", full_name="Chi NV"),
        other=make_user("specialist", org=org, username="d.other"),
        other_body=other_body,
        other_clerk=make_user("clerk", org=other_body, username="x.clerk"),
        other_person=make_user("specialist", org=other_body, username="x.person"),
    )


@pytest.fixture
def paper(body: Body) -> Callable[..., Any]:
    """Factory: a paper document taken in (and registered) by the body's clerk."""
    return lambda b=body, register=True: _paper(b, register=register)


def _paper(b: Body, *, register: bool = True) -> Any:
    with unit_of_work():
        doc = service.intake_paper(b.clerk, b.org, service.PaperMeta(
            issuer_name="Sở Nội vụ", subject="Về việc tổ chức hội nghị cải cách hành chính",
            number="12", notation="SNV-VP"), [("cv.pdf", plain_pdf())])
        if register:
            service.register(b.clerk, doc)
    return doc
