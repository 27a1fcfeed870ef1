"""Domain error messages with named parameters: Vietnamese by default, English on request.

``DomainError(template, params=...)`` keeps ``.message`` the formatted Vietnamese text and
the display sites (flash messages, error pages, JSON ``error.message``) translate the
template with its parameters in the request's language.
"""

from __future__ import annotations

import ast

import pytest
from helpers import csrf_from

from eoffice.core.errors import Conflict, DomainError, Translatable, ValidationFailed
from eoffice.translations.extract import domain_messages

EN = {"Accept-Language": "en"}


def bearer(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


def switch_language(client, code: str, page: str = "/") -> None:  # type: ignore[no-untyped-def]
    token = csrf_from(client.get(page).get_data(as_text=True))
    client.post(f"/lang/{code}", data={"csrf_token": token},
                headers={"Referer": f"http://localhost{page}"})


# --- the error object ------------------------------------------------------------------------


def test_message_is_the_formatted_vietnamese_text():
    exc = Conflict("Mã định danh %(code)s đã được dùng.", params={"code": "000.00.00.H99"},
                   details={"field": "code"})
    assert exc.message == "Mã định danh 000.00.00.H99 đã được dùng."
    assert str(exc) == exc.message
    assert exc.template == "Mã định danh %(code)s đã được dùng."
    assert exc.params == {"code": "000.00.00.H99"}
    assert exc.details == {"field": "code"}


def test_message_without_params_is_left_alone():
    exc = ValidationFailed("Tỷ lệ 100% không hợp lệ.")  # no params: "%" is not a placeholder
    assert exc.message == exc.template == "Tỷ lệ 100% không hợp lệ."
    assert exc.params == {}


def test_translatable_parameter_reads_as_vietnamese():
    what = Translatable("Tệp đính kèm “%(name)s”", name="phu-luc.pdf")
    exc = ValidationFailed("%(what)s rỗng.", params={"what": what})
    assert exc.message == "Tệp đính kèm “phu-luc.pdf” rỗng."
    assert Translatable("lỗi", en="error") == "lỗi"


def test_error_message_follows_the_request_language(app):
    from flask_babel import refresh

    from eoffice.i18n import error_message

    exc = ValidationFailed("%(what)s không hợp lệ: %(reason)s.", params={
        "what": Translatable("Tệp đính kèm “%(name)s”", name="a.pdf"),
        "reason": Translatable("tệp không phải PDF", en="the file is not a PDF")})
    with app.test_request_context("/", headers={"Accept-Language": "vi"}):
        refresh()  # the locale is cached on ``g``, which the test's app context shares
        assert error_message(exc) == exc.message == (
            "Tệp đính kèm “a.pdf” không hợp lệ: tệp không phải PDF.")
    with app.test_request_context("/", headers=EN):
        refresh()
        assert error_message(exc) == "The attachment “a.pdf” is invalid: the file is not a PDF."


# --- on the web: flash messages --------------------------------------------------------------


@pytest.fixture
def admin(make_user, make_org):  # type: ignore[no-untyped-def]
    return make_user(role="admin", org=make_org())


def _create_existing_username(client, admin):  # type: ignore[no-untyped-def]
    page = client.get("/admin/users/new").get_data(as_text=True)
    return client.post("/admin/users/new", data={
        "csrf_token": csrf_from(page), "username": admin.username, "full_name": "Người Trùng Tên",
        "org_id": admin.org_id, "unit_id": 0, "roles": ["specialist"],
        "password": "mat-khau-dai-du", "active": "y"})


def test_web_flash_in_vietnamese_by_default(client, login, admin):
    login(admin.username)
    text = _create_existing_username(client, admin).get_data(as_text=True)
    assert f"Tên đăng nhập “{admin.username}” đã tồn tại." in text
    assert "already exists" not in text


def test_web_flash_in_english(client, login, admin):
    login(admin.username)
    switch_language(client, "en")
    text = _create_existing_username(client, admin).get_data(as_text=True)
    assert f"The username “{admin.username}” already exists." in text
    assert "đã tồn tại" not in text


# --- on the API: JSON error.message ----------------------------------------------------------


@pytest.fixture
def admin_token(admin, api_token):  # type: ignore[no-untyped-def]
    return api_token(admin.username)


def _duplicate_user(client, admin, token, headers=None):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/users", headers=bearer(token, **(headers or {})), json={
        "username": admin.username, "password": "mat-khau-dai-du", "full_name": "Người Trùng",
        "org_code": admin.org.code, "roles": ["specialist"]})


def test_api_error_in_vietnamese_by_default(client, admin, admin_token):
    response = _duplicate_user(client, admin, admin_token)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "conflict"
    assert error["message"] == f"Tên đăng nhập “{admin.username}” đã tồn tại."
    assert error["details"] == {"field": "username"}


@pytest.mark.parametrize("header", ["vi", "vi-VN,vi;q=0.9,en;q=0.5", "fr"])
def test_api_error_in_vietnamese_when_asked_or_unsupported(client, admin, admin_token, header):
    response = _duplicate_user(client, admin, admin_token, {"Accept-Language": header})
    assert response.get_json()["error"]["message"] == (
        f"Tên đăng nhập “{admin.username}” đã tồn tại.")


def test_api_error_in_english_auth(client, admin, admin_token):
    response = _duplicate_user(client, admin, admin_token, EN)
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "conflict", "message": f"The username “{admin.username}” already exists.",
        "details": {"field": "username"}}


def test_api_accept_language_beats_the_account_language(client, admin, admin_token, db_session):
    admin.locale = "en"
    db_session.flush()
    no_header = _duplicate_user(client, admin, admin_token)
    assert no_header.get_json()["error"]["message"].startswith("The username")
    vietnamese = _duplicate_user(client, admin, admin_token, {"Accept-Language": "vi"})
    assert vietnamese.get_json()["error"]["message"].startswith("Tên đăng nhập")


def test_api_error_in_english_orgs(client, admin_token):
    response = client.patch("/api/v1/orgs/000.00.00.Z99", json={"name": "Tên mới"},
                            headers=bearer(admin_token, **EN))
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == (
        "No body has the organisation code 000.00.00.Z99.")
    vietnamese = client.patch("/api/v1/orgs/000.00.00.Z99", json={"name": "Tên mới"},
                              headers=bearer(admin_token))
    assert vietnamese.get_json()["error"]["message"] == (
        "Không tìm thấy cơ quan có mã định danh 000.00.00.Z99.")


def test_api_error_in_english_incoming(client, make_user, api_token):
    clerk = make_user(role="clerk")
    token = api_token(clerk.username)
    response = client.get("/api/v1/incoming?status=received,bogus,wrong",
                          headers=bearer(token, **EN))
    assert response.status_code == 422
    assert response.get_json()["error"]["message"] == "Invalid status: bogus, wrong."
    vietnamese = client.get("/api/v1/incoming?status=bogus", headers=bearer(token))
    assert vietnamese.get_json()["error"]["message"] == "Trạng thái không hợp lệ: bogus."


def test_api_error_in_english_outgoing_with_translated_labels(client, make_org, make_user,
                                                              api_token):
    """The workflow refusal names the action and status: those are translated too."""
    province = make_org()
    recipient = make_org(tier="district", parent=province)
    drafter = make_user(role="specialist", org=province)
    leader = make_user(role="leader", org=province)
    drafter_token, leader_token = api_token(drafter.username), api_token(leader.username)
    created = client.post("/api/v1/outgoing", headers=bearer(drafter_token), json={
        "doc_type": "CV", "subject": "Về việc thử thông báo lỗi", "recipients": [recipient.code],
        "signer": leader.username, "body": "Nội dung thử."})
    assert created.status_code == 201, created.get_json()
    doc_id = created.get_json()["id"]

    english = client.post(f"/api/v1/outgoing/{doc_id}/approve", json={},
                          headers=bearer(leader_token, **EN))
    assert english.status_code == 409
    error = english.get_json()["error"]
    assert error["code"] == "invalid_transition"
    # the labels are the catalogue's: "Dự thảo" is also the menu entry "Drafts"
    assert error["message"] == "Cannot “Approve” while the document is in the status “Drafts”."

    vietnamese = client.post(f"/api/v1/outgoing/{doc_id}/approve", json={},
                             headers=bearer(leader_token))
    assert vietnamese.get_json()["error"]["message"] == (
        "Không thể thực hiện “Duyệt” khi văn bản đang ở trạng thái “Dự thảo”.")


def test_api_error_in_english_outgoing_attachment(client, make_org, make_user, api_token):
    """A nested Translatable (the attachment's name) and the signing library's own English."""
    import io
    import json

    province = make_org()
    recipient = make_org(tier="district", parent=province)
    drafter = make_user(role="specialist", org=province)
    leader = make_user(role="leader", org=province)
    meta = {"doc_type": "CV", "subject": "Về việc thử tệp đính kèm", "recipients": [recipient.code],
            "signer": leader.username, "body": "Nội dung thử."}

    def upload(headers):  # type: ignore[no-untyped-def]
        return client.post("/api/v1/outgoing", headers=headers, data={
            "meta": json.dumps(meta),
            "attachments": (io.BytesIO(b"%PDF-1.7 not really a pdf"), "phu-luc.pdf")},
            content_type="multipart/form-data")

    token = api_token(drafter.username)
    english = upload(bearer(token, **EN))
    assert english.status_code == 422, english.get_json()
    message = english.get_json()["error"]["message"]
    assert message.startswith("The attachment “phu-luc.pdf” is invalid: ")
    vietnamese = upload(bearer(token)).get_json()["error"]["message"]
    assert vietnamese.startswith("Tệp đính kèm “phu-luc.pdf” không hợp lệ: ")
    # the library's explanation comes in the matching language
    assert message.removeprefix("The attachment “phu-luc.pdf” is invalid: ") != (
        vietnamese.removeprefix("Tệp đính kèm “phu-luc.pdf” không hợp lệ: "))


def test_token_and_input_errors_in_english_on_the_api(client, admin_token):
    response = client.get("/api/v1/me", headers=EN)
    assert response.status_code == 401
    assert response.get_json()["error"] == {
        "code": "unauthorized", "message": "Missing or invalid access token (Bearer token)."}
    assert client.get("/api/v1/me").get_json()["error"]["message"] == (
        "Thiếu hoặc sai mã truy cập (Bearer token).")
    # schema validation (APIFlask's error processor) answers in the asked language too
    invalid = client.post("/api/v1/users", json={}, headers=bearer(admin_token, **EN))
    assert invalid.status_code == 422
    assert invalid.get_json()["error"]["message"] == "Invalid data."
    assert "username" in invalid.get_json()["error"]["details"]["json"]
    assert client.post("/api/v1/users", json={}, headers=bearer(admin_token)
                       ).get_json()["error"]["message"] == "Dữ liệu không hợp lệ."


# --- the extractor ---------------------------------------------------------------------------


SAMPLE = '''
from eoffice.core.errors import Conflict, Translatable, ValidationFailed

def f(code, name):
    raise Conflict("Văn bản %(code)s đã bị thu hồi.", params={"code": code})
    raise ValidationFailed("%(what)s rỗng.", params={"what": Translatable("Tệp “%(n)s”", n=name)})
    raise ValidationFailed(f"Văn bản {code} không dịch được.")
'''


def test_extractor_collects_templates_and_still_reports_f_strings(capsys):
    found = sorted(text for _, text in domain_messages(ast.parse(SAMPLE), "sample.py"))
    assert found == sorted(["Văn bản %(code)s đã bị thu hồi.", "%(what)s rỗng.", "Tệp “%(n)s”"])
    assert "sample.py:7: f-string message cannot be translated" in capsys.readouterr().err


def test_domain_error_subclasses_accept_params():
    for cls in (Conflict, ValidationFailed, DomainError):
        assert cls("Số %(n)d.", params={"n": 5}).message == "Số 5."
