"""English as the second locale: language choice, translated pages and errors, the catalogue."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from helpers import csrf_from

from eoffice.translations.extract import domain_messages

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "eoffice" / "translations"
PO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")
BAD_CREDENTIALS_VI = "Tên đăng nhập hoặc mật khẩu không đúng."
BAD_CREDENTIALS_EN = "Incorrect username or password."


def switch_language(client, code: str, page: str = "/login"):  # type: ignore[no-untyped-def]
    """Use the header's language form, as a person would."""
    token = csrf_from(client.get(page).get_data(as_text=True))
    return client.post(f"/lang/{code}", data={"csrf_token": token},
                       headers={"Referer": f"http://localhost{page}"})


def english_catalog():  # type: ignore[no-untyped-def]
    with PO.open("rb") as f:
        return read_po(f, locale="en")


# --- language choice on the web --------------------------------------------------------------


def test_vietnamese_by_default(client):
    text = client.get("/login").get_data(as_text=True)
    assert '<html lang="vi">' in text
    assert "Đăng nhập" in text and "Tên đăng nhập" in text and "Mật khẩu" in text
    assert "Sign in" not in text
    assert "English" in text  # the switch offers the other language


def test_switch_to_english_shows_english_login_page(client):
    response = switch_language(client, "en")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")
    text = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Sign in" in text and "Username" in text and "Password" in text
    assert "Keep me signed in" in text  # a lazy_gettext form label
    assert "Đăng nhập" not in text and "Mật khẩu" not in text
    assert "Tiếng Việt" in text  # and the switch now offers Vietnamese back


def test_switch_back_to_vietnamese(client):
    switch_language(client, "en")
    switch_language(client, "vi")
    text = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in text and "Sign in" not in text


def test_unknown_language_is_ignored(client):
    response = switch_language(client, "fr")
    assert response.status_code == 302
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


def test_language_switch_requires_csrf(client):
    assert client.post("/lang/en").status_code == 400
    assert "Đăng nhập" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize("header", ["en", "en-GB,en;q=0.9,vi;q=0.5", "en-US"])
def test_accept_language_english(client, header):
    text = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert "Sign in" in text and "Đăng nhập" not in text


@pytest.mark.parametrize("header", ["vi-VN,vi;q=0.9,en;q=0.5", "fr", "de-DE,ja;q=0.5"])
def test_accept_language_vietnamese_or_unsupported(client, header):
    text = client.get("/login", headers={"Accept-Language": header}).get_data(as_text=True)
    assert "Đăng nhập" in text and "Sign in" not in text


def test_session_choice_beats_accept_language(client):
    switch_language(client, "vi")
    text = client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Đăng nhập" in text and "Sign in" not in text


# --- translated messages -----------------------------------------------------------------------


def test_wrong_password_message_in_english(client, login, make_user):
    user = make_user()
    switch_language(client, "en")
    text = login(user.username, "sai-mat-khau").get_data(as_text=True)
    assert BAD_CREDENTIALS_EN in text
    assert BAD_CREDENTIALS_VI not in text


def test_wrong_password_message_in_vietnamese(client, login, make_user):
    user = make_user()
    text = login(user.username, "sai-mat-khau").get_data(as_text=True)
    assert BAD_CREDENTIALS_VI in text and BAD_CREDENTIALS_EN not in text


def test_error_page_in_english(client):
    response = client.get("/khong-co-trang-nay", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    text = response.get_data(as_text=True)
    assert "Error 404" in text and "The requested page or data was not found." in text
    assert "Back to the home page" in text


def test_api_errors_keep_their_stable_code(client):
    # The JSON API's error code is for programs and does not depend on the language; the
    # message follows Accept-Language (tests/core/test_error_translation.py).
    response = client.get("/api/v1/me", headers={"Accept-Language": "en"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_signed_in_choice_is_saved_on_the_account(app, client, login, make_user, db_session):
    from eoffice.auth.models import User

    user = make_user(role="clerk")
    login(user.username)
    assert "Văn thư" in client.get("/").get_data(as_text=True)
    switch_language(client, "en", page="/")
    home = client.get("/").get_data(as_text=True)
    assert "Welcome, " + user.full_name in home
    assert "Clerk" in home and "Văn thư" not in home  # role names go through _() too
    assert "Sign out" in home
    db_session.expire_all()
    assert db_session.get(User, user.id).locale == "en"

    other_browser = app.test_client()  # no session language: the account decides
    token = csrf_from(other_browser.get("/login").get_data(as_text=True))
    other_browser.post("/login", data={"username": user.username, "password": "mat-khau-123",
                                       "csrf_token": token})
    assert "Welcome, " + user.full_name in other_browser.get("/").get_data(as_text=True)


# --- the catalogue ---------------------------------------------------------------------------


def test_catalogue_complete_and_not_fuzzy():
    catalog = english_catalog()
    assert not catalog.fuzzy
    entries = [m for m in catalog if m.id]
    assert len(entries) > 100
    untranslated = [m.id for m in entries if not all(_forms(m.string))]
    fuzzy = [m.id for m in entries if m.fuzzy]
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"


def _forms(value):  # type: ignore[no-untyped-def]
    """A message's id or string as a tuple (plural entries have one per form)."""
    return (value,) if isinstance(value, str) else tuple(value)


def test_placeholders_survive_translation():
    catalog = english_catalog()
    with_placeholders = 0
    for message in catalog:
        if not message.id:
            continue
        wanted = sorted(PLACEHOLDER.findall(_forms(message.id)[0]))
        for form in _forms(message.string):  # every plural form keeps them
            assert sorted(PLACEHOLDER.findall(form)) == wanted, message.id
        with_placeholders += bool(wanted)
    assert with_placeholders >= 5


def test_glossary_terms():
    """Domain terms follow DOMAIN.md §10 and the official register."""
    strings = {m.id: m.string for m in english_catalog() if m.id and not m.context}
    expected = {
        "Văn bản đến": "Incoming documents",
        "Văn bản đi": "Outgoing documents",
        "Dự thảo": "Drafts",
        "Thống kê": "Statistics",
        "Quản trị": "Administration",
        "Văn thư": "Clerk",
        "Chuyên viên": "Specialist",
        "Lãnh đạo cơ quan": "Leader of the body",
        "Đăng nhập": "Sign in",
        "Mã định danh": "Organisation code",
        "Nhật ký hệ thống": "Audit log",
    }
    assert {k: strings.get(k) for k in expected} == expected


def test_compiled_catalogue_matches_po():
    """The committed .mo is the compiled current .po (update.sh was run after editing)."""
    with MO.open("rb") as f:
        compiled = {(m.context, _forms(m.id)): _forms(m.string) for m in read_mo(f) if m.id}
    source = {(m.context, _forms(m.id)): _forms(m.string) for m in english_catalog() if m.id}
    assert compiled == source


def test_catalogue_covers_the_sources():
    """Every message in the code and templates is in the English catalogue."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = dict(DEFAULT_KEYWORDS, _l=None, lazy_gettext=None)
    package = ROOT / "eoffice"

    def only_the_package(path: str) -> bool:
        return (Path(path) == package or package in Path(path).parents) and not (
            Path(path).name.startswith((".", "_")))

    found = {msg if isinstance(msg, str) else msg[0]
             for _, _, msg, _, _ in extract_from_dir(str(ROOT), method_map, options_map,
                                                     keywords=keywords,
                                                     directory_filter=only_the_package)}
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in found  # the domain extractor ran
    translated = {_forms(m.id)[0] for m in english_catalog()
                  if m.id and all(_forms(m.string)) and not m.fuzzy}
    missing = sorted(found - translated)
    assert not missing, ("run eoffice/translations/update.sh and translate in "
                         f"en/LC_MESSAGES/messages.po: {missing}")


# --- the domain-message extractor --------------------------------------------------------------


SAMPLE = '''
from eoffice.core.errors import Conflict, NotFound, ValidationFailed
from eoffice.core import errors

BAD = "Hằng số thông báo."
HTTP_MESSAGES = {404: ("not_found", "Không thấy."), 500: ("internal_error", "Lỗi máy.")}
ROLE_NAMES = {"clerk": "Văn thư"}
OTHER_TABLE = {"x": "Không lấy."}

def f(name):
    raise NotFound("Thông báo trực tiếp.")
    raise errors.Conflict("Qua thuộc tính.", details={"field": "x"})
    raise ValidationFailed(message="Tham số có tên.")
    raise ValidationFailed(BAD)
    raise ValidationFailed(f"Có {name} nên không dịch được.")
    raise ValueError("Không phải lỗi nghiệp vụ.")
    error_response(400, "csrf", "Thông báo trả về.")
    print("Không lấy.")
'''


def test_extractor_finds_domain_messages(capsys):
    found = [text for _, text in domain_messages(ast.parse(SAMPLE), "sample.py")]
    assert sorted(found) == sorted([
        "Hằng số thông báo.", "Không thấy.", "Lỗi máy.", "Văn thư", "Thông báo trực tiếp.",
        "Qua thuộc tính.", "Tham số có tên.", "Thông báo trả về.",
    ])
    assert "sample.py:15: f-string message cannot be translated" in capsys.readouterr().err


def test_service_messages_are_in_the_catalogue():
    strings = {m.id: m.string for m in english_catalog() if m.id and not m.context}
    assert strings[BAD_CREDENTIALS_VI] == BAD_CREDENTIALS_EN
    assert strings["Bạn không có quyền thực hiện thao tác này."]  # PermissionDenied in core
    assert strings["Không tìm thấy cơ quan, đơn vị."]  # NotFound in orgs
    assert strings["Hệ thống gặp lỗi. Vui lòng thử lại sau."]  # core.http.HTTP_MESSAGES


TABLES_SAMPLE = '''
STATUS_NAMES = {"received": "Mới đến, chờ vào sổ", "completed": "Đã hoàn thành"}
LIST_TABS = (("", "Tất cả"), ("received", "Chờ vào sổ"))
PRIORITY_NAMES = {0: "Thường", 3: "Hỏa tốc"}
CODES = {"01": "received"}
STATUS_LABELS = {"01": "received", "draft": "Dự thảo", "blank": ""}
'''


def test_extractor_reads_display_tables_but_not_codes():
    """Dicts and sequences of (key, text) pairs; machine codes and empty values are skipped."""
    found = sorted(text for _, text in domain_messages(ast.parse(TABLES_SAMPLE), "tables.py"))
    assert found == sorted(["Mới đến, chờ vào sổ", "Đã hoàn thành", "Tất cả", "Chờ vào sổ",
                            "Thường", "Hỏa tốc", "Dự thảo"])


def test_display_table_texts_are_translated():
    """Status, urgency and role names shown through ``_(table[key])`` have English texts."""
    strings = {m.id: m.string for m in english_catalog() if m.id and not m.context}
    expected = {
        "Mới đến, chờ vào sổ": "Newly arrived, awaiting registration",
        "Hỏa tốc": "Flash", "Thượng khẩn": "Very urgent", "Khẩn": "Urgent",
        "Tối mật": "Secret", "Tuyệt mật": "Top secret",
        "Chủ trì": "Lead", "Phối hợp": "Cooperate", "Để biết": "Inform",
        "Trước hạn": "Early", "Đúng hạn": "On time", "Trễ hạn": "Late",
        "Số đến": "Incoming number", "Hạn xử lý": "Deadline",
    }
    assert {k: strings.get(k) for k in expected} == expected


def test_incoming_and_outgoing_pages_in_english(client, login, make_user):
    user = make_user(role=["clerk", "specialist"])
    login(user.username)
    switch_language(client, "en", page="/")
    incoming = client.get("/incoming/").get_data(as_text=True)
    assert all(text in incoming for text in (
        "Awaiting registration", "Awaiting assignment", "Incoming number", "Arrival date",
        "Issuing body", "Receive a paper document", "No documents.", "Total: 0"))
    assert "Chờ vào sổ" not in incoming and "Số đến" not in incoming
    drafts = client.get("/outgoing/drafts").get_data(as_text=True)
    assert all(text in drafts for text in (
        "Outgoing document drafts", "All drafts", "No drafts yet.", "Create draft"))
    assert "Tất cả dự thảo" not in drafts and "Chưa có dự thảo nào." not in drafts
