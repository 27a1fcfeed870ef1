"""Fixtures: a province with a unit, two districts, a drafter, a leader with a key, a clerk."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from outgoing_helpers import HATIEN, PIN, PROVINCE, RACHGIA

from eoffice.core.storage import FileStore


@pytest.fixture
def world(app: Any, make_org: Any, make_user: Any, db_session: Any) -> SimpleNamespace:
    from eoffice.core.permissions import SYSTEM
    from eoffice.core.uow import unit_of_work
    from eoffice.documents.keys import issue_person_key
    from eoffice.orgs import service as org_service
    from eoffice.orgs.artwork import make_seal_png, make_signature_png

    store = FileStore(app.config["STORAGE_DIR"])
    with unit_of_work():  # committed: a test's failing unit of work must not undo it
        return _build(store, make_org, make_user, SYSTEM, issue_person_key, org_service,
                      make_seal_png, make_signature_png)


def _build(store: Any, make_org: Any, make_user: Any, system: Any, issue_person_key: Any,
           org_service: Any, make_seal_png: Any, make_signature_png: Any) -> SimpleNamespace:
    province = make_org(code=PROVINCE, name="Ủy ban nhân dân tỉnh Kiên Giang")
    province.seal_image = store.put(make_seal_png("ỦY BAN NHÂN DÂN TỈNH KIÊN GIANG",
                                                  locality="Kiên Giang", diameter_mm=36))
    unit = org_service.create_org(system, name="Phòng Tổng hợp", short_name="TH", tier="unit",
                                  parent=province, locality="Kiên Giang")
    rachgia = make_org(tier="district", parent=province, code=RACHGIA,
                       name="Ủy ban nhân dân thành phố Rạch Giá")
    hatien = make_org(tier="district", parent=province, code=HATIEN,
                      name="Ủy ban nhân dân thành phố Hà Tiên")
    drafter = make_user(role="specialist", org=province, unit=unit, full_name="Phạm Minh Tuấn")
    leader = make_user(role="leader", org=province, full_name="Trần Quốc Khánh", title="Chủ tịch",
                       identity_number="091070004567")
    leader.signature_image = store.put(make_signature_png(leader.full_name))
    issue_person_key(leader, PIN)
    clerk = make_user(role="clerk", org=province, full_name="Lê Thị Mỹ Hạnh", title="Văn thư")
    return SimpleNamespace(province=province, unit=unit, rachgia=rachgia, hatien=hatien,
                           drafter=drafter, leader=leader, clerk=clerk, store=store)
