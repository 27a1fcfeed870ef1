"""The notification centre (badge, list, mark read, API) and the verification page."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from helpers import csrf_from, plain_pdf

import signing
from eoffice.core.uow import unit_of_work
from eoffice.documents import keys
from eoffice.extensions import db
from eoffice.notifications.models import Notification
from eoffice.notifications.service import notify


@pytest.fixture
def noted(make_user):
    user, other = make_user("specialist"), make_user("specialist")
    with unit_of_work():
        notes = [notify(user, "incoming.assigned.lead", f"Văn bản số {n}", f"/incoming/{n}")
                 for n in range(1, 26)]
        foreign = notify(other, "incoming.assigned.lead", "Của người khác", "/incoming/99")
        odd = notify(user, "x", "Liên kết ngoài", "https://evil.example/")
    return user, notes, foreign, odd


def test_badge_list_and_mark_read(noted, client, login):
    user, notes, foreign, odd = noted
    login(user.username)
    html = client.get("/").get_data(as_text=True)
    assert '<span class="unread-badge" id="unread-badge">26</span>' in html
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.index("Liên kết ngoài") < page.index("Văn bản số 25") < page.index(
        "Văn bản số 7")  # newest first
    assert "Văn bản số 5<" not in page and "Của người khác" not in page  # paged, own only
    assert "Văn bản số 5<" in client.get("/notifications/?page=2").get_data(as_text=True)
    token = csrf_from(page)
    opened = client.post(f"/notifications/{notes[4].id}/read", data={"csrf_token": token,
                                                                     "open": "1"})
    assert opened.status_code == 302 and opened.headers["Location"] == "/incoming/5"
    unsafe = client.post(f"/notifications/{odd.id}/read", data={"csrf_token": token,
                                                               "open": "1"})
    assert unsafe.headers["Location"].startswith("/notifications/")  # never off-site
    assert client.post(f"/notifications/{foreign.id}/read",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/notifications/{notes[0].id}/read").status_code == 400  # no CSRF
    html = client.get("/").get_data(as_text=True)
    assert 'id="unread-badge">24<' in html
    assert client.post("/notifications/read-all", data={"csrf_token": token}
                       ).status_code == 302
    assert 'id="unread-badge"' not in client.get("/").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, foreign.id).read_at is None


def test_notifications_api(noted, client, api_token):
    user, notes, foreign, _odd = noted
    headers = {"Authorization": f"Bearer {api_token(user.username)}"}
    body = client.get("/api/v1/notifications?per_page=10", headers=headers).get_json()
    assert body["total"] == 26 and body["unread"] == 26 and len(body["items"]) == 10
    assert body["items"][0]["text"] == "Liên kết ngoài"
    marked = client.post("/api/v1/notifications/read", headers=headers,
                         json={"ids": [notes[0].id, notes[1].id, foreign.id]}).get_json()
    assert marked == {"marked": 2, "unread": 24}  # another person's id is ignored
    assert client.post("/api/v1/notifications/read", headers=headers, json={}
                       ).status_code == 422
    assert client.post("/api/v1/notifications/read", headers=headers,
                       json={"all": True}).get_json() == {"marked": 24, "unread": 0}
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert unread["total"] == 0
    assert client.get("/api/v1/notifications").status_code == 401
    db.session.expire_all()
    assert db.session.execute(sa.select(Notification.read_at).where(
        Notification.id == foreign.id)).scalar_one() is None


@pytest.fixture
def signed(make_org):
    org = make_org(name="Ủy ban nhân dân tỉnh Thử")
    key = keys.load_body_key(org)
    return signing.sign_pdf(plain_pdf("Quyet dinh so 1"), key, signing.SignOptions(
        field_name="Seal", level=signing.PadesLevel.B_T, timestamps=keys.timestamps(),
        revocation=keys.revocation())).pdf


def _upload(client, data, name="vb.pdf"):
    page = client.get("/verify/")
    assert page.status_code == 200
    return client.post("/verify/", data={"csrf_token": csrf_from(page.get_data(as_text=True)),
                                         "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_verify_page_shows_the_arrival_report(app, signed, make_user, client, login):
    login(make_user("specialist").username)
    assert "Kiểm tra chữ ký" in client.get("/").get_data(as_text=True)  # in the navigation
    ok = _upload(client, signed)
    html = ok.get_data(as_text=True)
    assert ok.status_code == 200 and 'class="verdict verdict-ok"' in html
    assert "✓ Hợp lệ" in html and keys.verify_pdf(signed)["verdict"] in html
    tampered = bytearray(signed)
    index = tampered.find(b"stream") + 20
    tampered[index] ^= 0x01
    bad = _upload(client, bytes(tampered)).get_data(as_text=True)
    assert 'class="verdict verdict-bad"' in bad
    unsigned = _upload(client, plain_pdf()).get_data(as_text=True)
    assert "Tệp không có chữ ký số nào." in unsigned
    not_pdf = _upload(client, b"PK\x03\x04 a zip file, not a PDF", "vb.docx")
    assert not_pdf.status_code == 422
    assert "không phải là tệp PDF" in not_pdf.get_data(as_text=True)
    broken = _upload(client, b"%PDF-1.7\n garbage")
    assert broken.status_code == 422 and "PDF" in broken.get_data(as_text=True)
    empty = _upload(client, b"")
    assert empty.status_code == 422 and "rỗng" in empty.get_data(as_text=True)
    page = client.get("/verify/").get_data(as_text=True)
    missing = client.post("/verify/", data={"csrf_token": csrf_from(page)})
    assert missing.status_code == 400 and 'id="verify-error"' in missing.get_data(as_text=True)
    saved = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    try:
        assert _upload(client, signed + b"\0" * 20_000).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/").get_data(
        as_text=True))})
    assert client.get("/verify/").status_code in (302, 401)


def test_verify_page_in_english_gives_the_english_verdict(signed, make_user, client, login):
    login(make_user("specialist").username)
    token = csrf_from(client.get("/verify/").get_data(as_text=True))
    client.post("/lang/en", data={"csrf_token": token},
                headers={"Referer": "http://localhost/verify/"})
    html = _upload(client, signed).get_data(as_text=True)
    report = keys.verify_pdf(signed)
    assert report["verdict_en"] in html and report["verdict"] not in html
    tampered = bytearray(signed)
    tampered[tampered.find(b"stream") + 20] ^= 0x01
    bad = keys.verify_pdf(bytes(tampered))
    html = _upload(client, bytes(tampered)).get_data(as_text=True)
    reason = bad["signatures"][0]
    assert reason["reason_en"] and reason["reason_en"] in html
    assert reason["reason"] not in html
