"""Fixtures for the search tests: two bodies with their people, and the extraction
tasks queued after commit, captured so a test runs them when it wants."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from search_helpers import HATIEN, PIN, PROVINCE, RACHGIA


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``queued.calls``: the extraction tasks queued; ``queued.run()`` runs them."""
    from eoffice.search import tasks

    calls: list[tuple[str, int]] = []
    monkeypatch.setattr(tasks.extract_text, "delay",
                        lambda kind, doc_id: calls.append((kind, doc_id)))
    monkeypatch.setattr(tasks.extract_texts, "delay",
                        lambda items: calls.extend((kind, doc_id) for kind, doc_id in items))

    def run() -> list[str]:
        states = [tasks.extract_text.run(kind, doc_id) for kind, doc_id in calls]
        calls.clear()
        return states

    return SimpleNamespace(calls=calls, run=run)


@pytest.fixture
def world(app: Any, make_org: Any, make_user: Any, db_session: Any) -> SimpleNamespace:
    """The province (seal, unit, drafter, a second specialist, leader with a key, clerk)
    and the city of Rạch Giá (clerk, leader, specialist)."""
    from eoffice.core.permissions import SYSTEM
    from eoffice.core.storage import file_store
    from eoffice.core.uow import unit_of_work
    from eoffice.documents.keys import issue_person_key
    from eoffice.orgs import service as org_service
    from eoffice.orgs.artwork import make_seal_png, make_signature_png

    store = file_store()
    with unit_of_work():
        province = make_org(code=PROVINCE, name="Ủy ban nhân dân tỉnh Kiên Giang")
        province.seal_image = store.put(make_seal_png(
            "ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG", locality="Kiên Giang", diameter_mm=36))
        unit = org_service.create_org(SYSTEM, name="Phòng Tổng hợp", short_name="TH",
                                      tier="unit", parent=province, locality="Kiên Giang")
        rachgia = make_org(tier="district", parent=province, code=RACHGIA,
                           name="Ủy ban nhân dân thành phố Rạch Giá")
        hatien = make_org(tier="district", parent=province, code=HATIEN,
                          name="Ủy ban nhân dân thành phố Hà Tiên")
        leader = make_user(role="leader", org=province, full_name="Trần Quốc Khánh",
                           title="Chủ tịch", identity_number="091070004567")
        leader.signature_image = store.put(make_signature_png(leader.full_name))
        issue_person_key(leader, PIN)
        return SimpleNamespace(
            province=province, unit=unit, rachgia=rachgia, hatien=hatien, leader=leader,
            drafter=make_user(role="specialist", org=province, unit=unit,
                              full_name="Phạm Minh Tuấn"),
            other_specialist=make_user(role="specialist", org=province, unit=unit,
                                       full_name="Đỗ Thị Đào"),
            clerk=make_user(role="clerk", org=province, full_name="Lê Thị Mỹ Hạnh"),
            city_clerk=make_user(role="clerk", org=rachgia, full_name="Ngô Thu Trang"),
            city_leader=make_user(role="leader", org=rachgia, full_name="Huỳnh Văn Phúc"),
            city_specialist=make_user(role="specialist", org=rachgia,
                                      full_name="Võ Thanh Hải"),
        )
