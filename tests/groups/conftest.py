"""Fixtures for the recipient-group tests: the demo province (15 districts, the wards of
Rạch Giá, the provincial departments and the three seeded groups)."""

from __future__ import annotations

from typing import Any

import pytest

from eoffice.core.uow import unit_of_work


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def demo(app: Any, db_session: Any) -> None:
    from eoffice.demo import seed_demo

    with unit_of_work():
        seed_demo(force=True)


@pytest.fixture
def tree(app: Any, db_session: Any, make_user: Any) -> None:
    """The demo's body tree and its three recipient groups, without keys or seals (fast);
    the demo's usernames with the tests' password."""
    from eoffice.core.permissions import SYSTEM
    from eoffice.demo import (
        DEPARTMENTS,
        DISTRICTS,
        PROVINCE,
        RACH_GIA_COMMUNES,
        _seed_recipient_groups,
    )
    from eoffice.orgs.service import create_org

    def body(code: str, name: str, tier: str, parent: Any, short: str = "UBND") -> Any:
        return create_org(SYSTEM, code=code, name=name, short_name=short, tier=tier,
                          parent=parent, locality="Kiên Giang")

    province = body(PROVINCE[0], PROVINCE[1], "province", None)
    for code, name, short in DEPARTMENTS:
        body(code, name, "department", province, short)
    districts = [body(f"000.00.{30 + i:02d}.H33", name, "district", province)
                 for i, (name, _) in enumerate(DISTRICTS)]
    for i, (kind, name) in enumerate(RACH_GIA_COMMUNES):
        body(f"000.{21 + i:02d}.30.H33", f"Ủy ban nhân dân {kind} {name}", "commune",
             districts[0])
    _seed_recipient_groups(province, districts[0])
    for username, role, org in (("admin", "admin", province),
                                ("chuyenvien.tinh", "specialist", province),
                                ("vanthu.tinh", "clerk", province),
                                ("lanhdao.tinh", "leader", province),
                                ("chuyenvien.rachgia", "specialist", districts[0]),
                                ("vanthu.rachgia", "clerk", districts[0])):
        make_user(role, org=org, username=username)
