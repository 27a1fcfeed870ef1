"""Fixtures for registers and reports: the province (its clerk, leader with a signing key,
a drafting unit, a specialist) and two districts as recipients."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from reports_helpers import HATIEN, PIN, PROVINCE, RACHGIA

from eoffice.core.storage import FileStore


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests create several accounts each: hash their passwords cheaply."""
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def office(app: Any, make_org: Any, make_user: Any, db_session: Any) -> SimpleNamespace:
    from eoffice.core.permissions import SYSTEM
    from eoffice.core.uow import unit_of_work
    from eoffice.documents.keys import issue_person_key
    from eoffice.orgs import service as org_service
    from eoffice.orgs.artwork import make_seal_png, make_signature_png

    store = FileStore(app.config["STORAGE_DIR"])
    with unit_of_work():
        province = make_org(code=PROVINCE, name="Ủy ban nhân dân tỉnh Kiên Giang")
        province.seal_image = store.put(make_seal_png("ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG",
                                                      locality="Kiên Giang", diameter_mm=36))
        unit = org_service.create_org(SYSTEM, name="Phòng Tổng hợp", short_name="TH",
                                      tier="unit", parent=province, locality="Kiên Giang")
        unit_nv = org_service.create_org(SYSTEM, name="Phòng Nội chính", short_name="NC",
                                         tier="unit", parent=province, locality="Kiên Giang")
        rachgia = make_org(tier="district", parent=province, code=RACHGIA,
                           name="Ủy ban nhân dân thành phố Rạch Giá")
        hatien = make_org(tier="district", parent=province, code=HATIEN,
                          name="Ủy ban nhân dân thành phố Hà Tiên")
        drafter = make_user(role="specialist", org=province, unit=unit, username="cv.th",
                            full_name="Phạm Minh Tuấn")
        handler = make_user(role="specialist", org=province, unit=unit_nv, username="cv.nc",
                            full_name="Đặng Thị Nội Chính")
        leader = make_user(role="leader", org=province, username="ld.tinh",
                           full_name="Trần Quốc Khánh", title="Chủ tịch",
                           identity_number="091070004567")
        leader.signature_image = store.put(make_signature_png(leader.full_name))
        issue_person_key(leader, PIN)
        clerk = make_user(role="clerk", org=province, username="vt.tinh",
                          full_name="Lê Thị Mỹ Hạnh", title="Văn thư")
        admin = make_user(role="admin", org=province, username="qt.tinh")
        head = make_user(role="head", org=province, unit=unit, username="tp.th")
        district_clerk = make_user(role="clerk", org=rachgia, username="vt.rg")
        district_leader = make_user(role="leader", org=rachgia, username="ld.rg")
    return SimpleNamespace(province=province, unit=unit, unit_nv=unit_nv, rachgia=rachgia,
                           hatien=hatien, drafter=drafter, handler=handler, leader=leader,
                           clerk=clerk, admin=admin, head=head, district_clerk=district_clerk,
                           district_leader=district_leader, store=store)
