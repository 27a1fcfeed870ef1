"""The body tree: codes, tiers, retiring and merging, the directory API."""

from __future__ import annotations

from datetime import date

import pytest

from eoffice.core.errors import Conflict, PermissionDenied, ValidationFailed
from eoffice.core.permissions import SYSTEM
from eoffice.orgs import service
from eoffice.orgs.codes import parse_code
from eoffice.orgs.models import Organization


@pytest.mark.parametrize("code, level, parent", [
    ("000.00.00.H33", 1, None),
    ("000.00.30.H33", 2, "000.00.00.H33"),
    ("000.21.30.H33", 3, "000.00.30.H33"),
    ("001.01.07.H53", 4, "000.01.07.H53"),
    ("000.00.00.G22", 1, None),
])
def test_code_levels_read_right_to_left(code, level, parent):
    parsed = parse_code(code)
    assert parsed.level == level and parsed.implied_parent == parent and str(parsed) == code


@pytest.mark.parametrize("bad", ["000.00.00.h33", "00.00.00.H33", "000.00.00.Z33", "000.0.00.H33",
                                 "000.00.00.H333", "", "H33", "000-00-00-H33"])
def test_malformed_codes_are_refused(bad, app, db_session):
    with pytest.raises(ValidationFailed):
        service.create_org(SYSTEM, name="X", short_name="X", tier="province", parent=None,
                           code=bad)
    assert db_session.query(Organization).count() == 0


def test_duplicate_code_is_conflict(make_org, db_session):
    make_org(code="000.00.00.H77")
    with pytest.raises(Conflict):
        make_org(code="000.00.00.H77")


def test_unknown_tier_refused(app, db_session):
    with pytest.raises(ValidationFailed):
        service.create_org(SYSTEM, name="X", short_name="X", tier="galaxy", parent=None,
                           code="000.00.00.H70")


def test_units_need_no_code_but_need_a_body(make_org, db_session):
    body = make_org()
    unit = service.create_org(SYSTEM, name="Phòng Tổng hợp", short_name="TH", tier="unit",
                              parent=body)
    assert unit.code is None and unit.body is body and not unit.is_body
    with pytest.raises(ValidationFailed):
        service.create_org(SYSTEM, name="Lạc", short_name="L", tier="unit", parent=None)


def test_retire_and_merge_keep_history(make_org, make_user, db_session):
    province = make_org()
    a = make_org(tier="district", parent=province, code="000.00.31.H10")
    b = make_org(tier="district", parent=province, code="000.00.32.H10")
    merged = make_org(tier="district", parent=province, code="000.00.40.H10")
    admin = make_user(role="admin", org=province)
    links = service.merge_orgs(admin, [a, b], merged, on=date(2025, 7, 1), note="NQ 1/2025")
    assert [link.predecessor for link in links] == [a, b]
    assert a.valid_to == date(2025, 7, 1) and not a.is_active_on(date(2025, 7, 2))
    assert a.is_active_on(date(2025, 6, 30))
    assert db_session.get(Organization, a.id) is not None  # never deleted
    with pytest.raises(Conflict):
        service.retire_org(admin, a, on=date(2025, 8, 1))


def test_admin_cannot_touch_bodies_outside_subtree(make_org, make_user, db_session):
    province = make_org()
    district = make_org(tier="district", parent=province)
    other_province = make_org()
    district_admin = make_user(role="admin", org=district)
    with pytest.raises(PermissionDenied):
        service.update_org(district_admin, province, name="Đổi tên")
    with pytest.raises(PermissionDenied):
        service.create_org(district_admin, name="X", short_name="X", tier="district",
                           parent=other_province, code="000.00.33.H99")
    service.update_org(district_admin, district, name="UBND huyện mới")
    assert district.name == "UBND huyện mới"


def test_directory_api(client, api_token, make_org, make_user):
    province = make_org(code="000.00.00.H33", name="Ủy ban nhân dân tỉnh Kiên Giang")
    make_org(tier="district", parent=province, code="000.00.30.H33",
             name="Ủy ban nhân dân thành phố Rạch Giá")
    user = make_user(org=province)
    response = client.get("/api/v1/orgs",
                          headers={"Authorization": f"Bearer {api_token(user.username)}"})
    assert response.status_code == 200
    rows = {o["code"]: o for o in response.get_json()}
    assert rows["000.00.30.H33"]["parent_code"] == "000.00.00.H33"
    assert rows["000.00.30.H33"]["tier"] == "district"
    assert rows["000.00.00.H33"]["name"] == "Ủy ban nhân dân tỉnh Kiên Giang"


def test_api_malformed_code_422_unknown_parent_404(client, api_token, make_org, make_user):
    province = make_org(code="000.00.00.H33")
    admin = make_user(role="admin", org=province)
    headers = {"Authorization": f"Bearer {api_token(admin.username)}"}
    body = {"name": "Sở Mới", "short_name": "SM", "tier": "department",
            "parent_code": "000.00.00.H33"}
    bad = client.post("/api/v1/orgs", json={**body, "code": "12.34"}, headers=headers)
    assert bad.status_code == 422 and "LLL.KK.JJ.Xnn" in bad.get_json()["error"]["message"]
    missing = client.post("/api/v1/orgs", json={**body, "code": "000.00.09.H33",
                                                "parent_code": "000.00.00.H01"}, headers=headers)
    assert missing.status_code == 404
    ok = client.post("/api/v1/orgs", json={**body, "code": "000.00.09.H33"}, headers=headers)
    assert ok.status_code == 201 and ok.get_json()["parent_code"] == "000.00.00.H33"
    dup = client.post("/api/v1/orgs", json={**body, "code": "000.00.09.H33"}, headers=headers)
    assert dup.status_code == 409
    retired = client.post("/api/v1/orgs/000.00.09.H33/retire", json={"on": "2025-07-01"},
                          headers=headers)
    assert retired.status_code == 200 and retired.get_json()["valid_to"] == "2025-07-01"
