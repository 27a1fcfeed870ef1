"""Every role × every admin/user/org action, on the web and through the API."""

from __future__ import annotations

import pytest
from helpers import PASSWORD, csrf_from

from eoffice.auth.models import ROLES

ADMIN_PAGES = ["/admin/orgs", "/admin/orgs/new", "/admin/users", "/admin/users/new",
               "/admin/audit"]


@pytest.fixture
def tree(make_org, make_user):
    province = make_org(code="000.00.00.H33")
    district = make_org(tier="district", parent=province, code="000.00.30.H33")
    other = make_org(tier="district", parent=province, code="000.00.31.H33")
    return {"province": province, "district": district, "other": other}


@pytest.mark.parametrize("role", ROLES)
def test_admin_pages_by_role(role, tree, make_user, login, client):
    user = make_user(role=role, org=tree["province"])
    login(user.username)
    for page in ADMIN_PAGES:
        expected = 200 if role == "admin" else 403
        assert client.get(page).status_code == expected, (role, page)


def test_admin_pages_need_login(client):
    for page in ADMIN_PAGES:
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_api_admin_actions_by_role(role, tree, make_user, api_token, client):
    user = make_user(role=role, org=tree["province"])
    headers = {"Authorization": f"Bearer {api_token(user.username)}"}
    allowed = role == "admin"
    create = client.post("/api/v1/orgs", headers=headers, json={
        "code": "000.00.09.H33", "name": "Sở Mới", "short_name": "SM", "tier": "department",
        "parent_code": "000.00.00.H33"})
    assert create.status_code == (201 if allowed else 403)
    patch = client.patch("/api/v1/orgs/000.00.30.H33", headers=headers, json={"name": "Đổi"})
    assert patch.status_code == (200 if allowed else 403)
    new_user = client.post("/api/v1/users", headers=headers, json={
        "username": f"moi.{role}", "password": PASSWORD, "full_name": "Người Mới",
        "org_code": "000.00.30.H33", "roles": ["clerk"]})
    assert new_user.status_code == (201 if allowed else 403)
    assert client.get("/api/v1/orgs", headers=headers).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    if not allowed:
        assert create.get_json()["error"]["code"] == "forbidden"


def test_district_admin_cannot_manage_sibling_or_parent(tree, make_user, api_token, client):
    admin = make_user(role="admin", org=tree["district"])
    headers = {"Authorization": f"Bearer {api_token(admin.username)}"}
    for code in ("000.00.31.H33", "000.00.00.H33"):
        assert client.patch(f"/api/v1/orgs/{code}", headers=headers,
                            json={"name": "X"}).status_code == 403
    assert client.post("/api/v1/users", headers=headers, json={
        "username": "xam.nhap", "password": PASSWORD, "full_name": "X",
        "org_code": "000.00.31.H33", "roles": ["clerk"]}).status_code == 403
    assert client.patch("/api/v1/orgs/000.00.30.H33", headers=headers,
                        json={"name": "UBND TP"}).status_code == 200


def test_user_lists_stay_inside_the_body(tree, make_user, api_token, client):
    mine = make_user(role="clerk", org=tree["district"])
    colleague = make_user(role="specialist", org=tree["district"])
    stranger = make_user(role="specialist", org=tree["other"])
    headers = {"Authorization": f"Bearer {api_token(mine.username)}"}
    body = client.get("/api/v1/users", headers=headers).get_json()
    names = {u["username"] for u in body["items"]}
    assert colleague.username in names and stranger.username not in names
    assert body["total"] == 2 and body["page"] == 1
    admin = make_user(role="admin", org=tree["province"])
    admin_view = client.get("/api/v1/users?per_page=500", headers={
        "Authorization": f"Bearer {api_token(admin.username)}"}).get_json()
    assert stranger.username in {u["username"] for u in admin_view["items"]}


def test_admin_forms_enforce_csrf(tree, make_user, login, client):
    admin = make_user(role="admin", org=tree["province"])
    login(admin.username)
    data = {"code": "000.00.08.H33", "name": "Sở Y tế", "short_name": "SYT",
            "tier": "department", "parent_id": tree["province"].id}
    refused = client.post("/admin/orgs/new", data=data)
    assert refused.status_code == 400
    page = client.get("/admin/orgs/new").get_data(as_text=True)
    accepted = client.post("/admin/orgs/new", data={**data, "csrf_token": csrf_from(page)})
    assert accepted.status_code == 302
    assert "Sở Y tế" in client.get("/admin/orgs").get_data(as_text=True)


def test_admin_web_malformed_code_shows_message_and_writes_nothing(tree, make_user, login,
                                                                   client, db_session):
    from eoffice.orgs.models import Organization

    admin = make_user(role="admin", org=tree["province"])
    login(admin.username)
    before = db_session.query(Organization).count()
    page = client.get("/admin/orgs/new").get_data(as_text=True)
    response = client.post("/admin/orgs/new", data={
        "code": "sai-ma", "name": "Sở X", "short_name": "SX", "tier": "department",
        "parent_id": tree["province"].id, "csrf_token": csrf_from(page)})
    assert response.status_code == 200
    assert "không đúng định dạng" in response.get_data(as_text=True)
    assert db_session.query(Organization).count() == before
