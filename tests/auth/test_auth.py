"""Signing in, tokens, CSRF, rate limiting, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from helpers import PASSWORD, csrf_from

from eoffice.auth import service
from eoffice.auth.models import User
from eoffice.core.db import utcnow
from eoffice.core.errors import Conflict, Unauthorized, ValidationFailed
from eoffice.core.permissions import SYSTEM


def test_web_login_and_logout(client, login, make_user):
    user = make_user(role="clerk")
    response = login(user.username)
    assert response.status_code == 302
    home = client.get("/")
    text = home.get_data(as_text=True)
    assert user.full_name in text and "Văn thư" in text
    logout = client.post("/logout", data={"csrf_token": csrf_from(text)})
    assert logout.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_login_page_is_vietnamese(client):
    text = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in text and "Tên đăng nhập" in text and "Mật khẩu" in text


def test_wrong_password_same_message_for_unknown_user(client, login, make_user):
    user = make_user()
    wrong = login(user.username, "sai-mat-khau").get_data(as_text=True)
    unknown = login("khong.ton.tai", "sai-mat-khau").get_data(as_text=True)
    message = "Tên đăng nhập hoặc mật khẩu không đúng."
    assert message in wrong and message in unknown


def test_login_form_requires_csrf(client, make_user):
    user = make_user()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_login_rate_limited_after_repeated_failures(app, client, login, make_user):
    user = make_user()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        for _ in range(3):
            assert login(user.username, "sai").status_code == 200
        assert login(user.username, "sai").status_code == 429
        api = client.post("/api/v1/auth/token", json={"username": user.username,
                                                      "password": "sai"})
        assert api.status_code in (401, 429)
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"


def test_successful_logins_do_not_count_towards_the_limit(app, make_user):
    user = make_user()
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    try:
        for _ in range(4):
            client = app.test_client()
            page = client.get("/login").get_data(as_text=True)
            response = client.post("/login", data={"username": user.username,
                                                   "password": PASSWORD,
                                                   "csrf_token": csrf_from(page)})
            assert response.status_code == 302
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"


def test_api_token_flow(client, api_token, make_user):
    user = make_user(role=["leader", "head"], title="Phó Chủ tịch")
    token = api_token(user.username)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.get_json() == {"username": user.username, "full_name": user.full_name,
                             "title": "Phó Chủ tịch", "org_code": user.org.code,
                             "org_name": user.org.name, "unit": None,
                             "roles": ["head", "leader"]}


def test_api_wrong_password_is_401_with_error_object(client, make_user):
    user = make_user()
    response = client.post("/api/v1/auth/token", json={"username": user.username,
                                                       "password": "sai"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "Tên đăng nhập hoặc mật khẩu không đúng."


def test_api_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/token", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_api_missing_fields_is_422(client):
    response = client.post("/api/v1/auth/token", json={"username": "x"})
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid"


def test_api_without_token_is_401(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_api_ignores_session_cookie(client, login, make_user):
    user = make_user()
    login(user.username)
    assert client.get("/api/v1/me").status_code == 401  # cookies never authenticate the API


def test_token_expiry_and_revocation(app, client, make_user, db_session):
    user = make_user()
    secret, token = service.issue_token(SYSTEM, user, ttl=timedelta(hours=1))
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert service.user_for_token(secret, now=utcnow() + timedelta(hours=2)) is None
    token.expires_at = utcnow() - timedelta(seconds=1)
    db_session.flush()
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    secret2, _ = service.issue_token(SYSTEM, user, ttl=timedelta(hours=1))
    headers2 = {"Authorization": f"Bearer {secret2}"}
    assert client.delete("/api/v1/auth/token", headers=headers2).status_code == 204
    assert client.get("/api/v1/me", headers=headers2).status_code == 401


def test_token_is_stored_hashed(make_user, db_session):
    user = make_user()
    secret, token = service.issue_token(SYSTEM, user, ttl=timedelta(hours=1))
    assert secret not in (token.token_hash, token.prefix)
    assert len(token.token_hash) == 64


def test_deactivated_user_cannot_log_in_or_use_tokens(client, login, make_user, db_session):
    user = make_user()
    secret, _ = service.issue_token(SYSTEM, user, ttl=timedelta(hours=1))
    service.update_user(SYSTEM, user, active=False)
    with pytest.raises(Unauthorized):
        service.authenticate(user.username, PASSWORD)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401


def test_duplicate_username_is_conflict_and_writes_nothing(make_user, make_org, db_session):
    user = make_user(username="trung.ten")
    before = db_session.query(User).count()
    with pytest.raises(Conflict):
        service.create_user(SYSTEM, username="trung.ten", password=PASSWORD, full_name="X",
                            org=user.org, roles=["clerk"])
    assert db_session.query(User).count() == before


def test_bad_user_input(make_org, db_session):
    org = make_org()
    for kwargs in ({"username": "A B"}, {"password": "short"}, {"roles": ["boss"]},
                   {"roles": []}, {"full_name": " "}):
        args = {"username": "hop.le", "password": PASSWORD, "full_name": "Tên",
                "org": org, "roles": ["clerk"], **kwargs}
        with pytest.raises(ValidationFailed):
            service.create_user(SYSTEM, **args)


def test_api_duplicate_username_409(client, api_token, make_user):
    admin = make_user(role="admin")
    token = api_token(admin.username)
    body = {"username": "moi.tao", "password": PASSWORD, "full_name": "Người Mới",
            "org_code": admin.org.code, "roles": ["specialist"]}
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/users", json=body, headers=headers).status_code == 201
    again = client.post("/api/v1/users", json=body, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "conflict"
