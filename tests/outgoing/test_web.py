"""Web pages (Flask test client): the full journey from drafter to clerk, bad input."""

from __future__ import annotations

import io

from helpers import PASSWORD, csrf_from
from outgoing_helpers import HATIEN, PIN, RACHGIA

from eoffice.documents.keys import verify_pdf


def session_for(app, username):
    client = app.test_client()
    page = client.get("/login")
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302
    return client


def post(client, url, page_url, **data):
    page = client.get(page_url)
    assert page.status_code == 200, page_url
    data["csrf_token"] = csrf_from(page.get_data(as_text=True))
    return client.post(url, data=data, follow_redirects=True)


def test_web_journey_drafter_leader_clerk(app, world):
    drafter = session_for(app, world.drafter.username)
    response = post(drafter, "/outgoing/new", "/outgoing/new", doc_type="CT",
                    subject="Về tăng cường cải cách hành chính", recipients=[RACHGIA, HATIEN],
                    signer=world.leader.username, authority="TM.", urgency="khan",
                    confidentiality="", mode="compose",
                    body="Đoạn thứ nhất của chỉ thị.\nĐoạn thứ hai của chỉ thị.")
    html = response.get_data(as_text=True)
    assert "Đã tạo dự thảo." in html, html
    doc_url = response.request.path
    doc_id = int(doc_url.rstrip("/").split("/")[-1])
    assert drafter.get(f"/outgoing/{doc_id}/page/0.png").mimetype == "image/png"
    html = post(drafter, f"/outgoing/{doc_id}/submit", doc_url, comment="Kính trình").get_data(
        as_text=True)
    assert "Đã trình duyệt dự thảo." in html and "Đang trình duyệt" in html

    leader = session_for(app, world.leader.username)
    assert "Về tăng cường cải cách" in leader.get("/outgoing/drafts").get_data(as_text=True)
    html = post(leader, f"/outgoing/{doc_id}/approve", doc_url, comment="").get_data(as_text=True)
    assert "Đã duyệt, chờ ký" in html
    html = post(leader, f"/outgoing/{doc_id}/sign", doc_url, pin="111111").get_data(as_text=True)
    assert "Mã PIN không đúng." in html
    html = post(leader, f"/outgoing/{doc_id}/sign", doc_url, pin=PIN).get_data(as_text=True)
    assert "Đã ký số văn bản." in html

    clerk = session_for(app, world.clerk.username)
    queue = clerk.get("/outgoing/issue").get_data(as_text=True)
    assert "Về tăng cường cải cách" in queue
    html = post(clerk, f"/outgoing/{doc_id}/issue", "/outgoing/issue").get_data(as_text=True)
    assert "Đã ban hành văn bản" in html and "01/CT-UBND" in html
    assert "Đang chờ gửi" in html  # per-recipient status before the hub answers
    listing = clerk.get("/outgoing/").get_data(as_text=True)
    assert "01/CT-UBND" in listing
    pdf = clerk.get(f"/outgoing/{doc_id}/pdf")
    assert pdf.mimetype == "application/pdf" and verify_pdf(pdf.data)["valid"]
    # issuing twice is refused with a clear message
    html = post(clerk, f"/outgoing/{doc_id}/issue", doc_url).get_data(as_text=True)
    assert "Không thể thực hiện" in html


def test_web_batch_sign_one_pin_result_per_document(app, world):
    from eoffice.core.uow import unit_of_work
    from eoffice.outgoing import service

    ids = []
    for i in range(2):
        with unit_of_work():
            doc = service.create_draft(world.drafter, doc_type="CV", subject=f"Công văn {i}",
                                       recipients=[RACHGIA], signer=world.leader.username,
                                       body="Nội dung.")
            service.submit(world.drafter, doc)
            service.approve(world.leader, doc)
            ids.append(doc.id)
    leader = session_for(app, world.leader.username)
    page = leader.get("/outgoing/sign")
    assert "Công văn 0" in page.get_data(as_text=True)
    response = leader.post("/outgoing/sign", data={
        "csrf_token": csrf_from(page.get_data(as_text=True)), "pin": PIN, "ids": ids})
    html = response.get_data(as_text=True)
    assert "Đã ký 2/2 văn bản." in html


def test_web_upload_errors_are_shown_in_vietnamese(app, world):
    drafter = session_for(app, world.drafter.username)
    page = drafter.get("/outgoing/new")
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "doc_type": "CT",
            "subject": "Chỉ thị", "recipients": [RACHGIA], "signer": world.leader.username,
            "authority": "TM.", "urgency": "", "confidentiality": "", "mode": "upload",
            "file": (io.BytesIO(b"not a pdf at all"), "x.txt")}
    html = drafter.post("/outgoing/new", data=data, content_type="multipart/form-data"
                        ).get_data(as_text=True)
    assert "Chỉ nhận tệp PDF hoặc DOCX." in html
    data.update(mode="compose", subject="", body="x", file=(io.BytesIO(b""), ""))
    html = drafter.post("/outgoing/new", data=data, content_type="multipart/form-data"
                        ).get_data(as_text=True)
    assert "Trích yếu không được để trống." in html


def test_other_body_gets_404(app, world, make_user, make_org):
    from eoffice.core.uow import unit_of_work
    from eoffice.outgoing import service

    with unit_of_work():
        doc = service.create_draft(world.drafter, doc_type="CV", subject="Nội bộ",
                                   recipients=[RACHGIA], signer=world.leader.username, body="x")
        outsider = make_user(role="clerk", org=make_org())
    client = session_for(app, outsider.username)
    assert client.get(f"/outgoing/{doc.id}").status_code == 404
    assert client.get(f"/outgoing/{doc.id}/pdf").status_code == 404


def _lit_menu(html: str) -> list[str]:
    import re

    nav = html.split("<nav", 1)[1].split("</nav>", 1)[0]
    return re.findall(r'class="active">([^<]+)</a>', nav)


def test_one_menu_entry_is_lit(app, world):
    drafter = session_for(app, world.drafter.username)
    # "Văn bản đi" and "Dự thảo" are both the outgoing blueprint's: both used to light up
    assert _lit_menu(drafter.get("/outgoing/").get_data(as_text=True)) == ["Văn bản đi"]
    assert _lit_menu(drafter.get("/outgoing/drafts").get_data(as_text=True)) == ["Dự thảo"]
    assert _lit_menu(drafter.get("/outgoing/new").get_data(as_text=True)) == ["Dự thảo"]
    leader = session_for(app, world.leader.username)
    assert _lit_menu(leader.get("/outgoing/sign").get_data(as_text=True)) == ["Dự thảo"]
    assert _lit_menu(drafter.get("/incoming/").get_data(as_text=True)) == ["Văn bản đến"]
    assert _lit_menu(drafter.get("/").get_data(as_text=True)) == ["Trang chủ"]


def test_a_document_s_page_lights_drafts_until_it_is_issued(app, world):
    from eoffice.core.db import utcnow
    from eoffice.core.uow import unit_of_work
    from eoffice.outgoing import service

    with unit_of_work():
        doc = service.create_draft(world.drafter, doc_type="CV", subject="Nội bộ",
                                   recipients=[RACHGIA], signer=world.leader.username, body="x")
    drafter = session_for(app, world.drafter.username)
    assert _lit_menu(drafter.get(f"/outgoing/{doc.id}").get_data(as_text=True)) == ["Dự thảo"]
    # a clerk has no "Dự thảo" entry: the document's page stays under "Văn bản đi"
    clerk = session_for(app, world.clerk.username)
    page = clerk.get(f"/outgoing/{doc.id}")
    assert page.status_code == 200 and _lit_menu(page.get_data(as_text=True)) == ["Văn bản đi"]
    with unit_of_work():
        doc.issued_at, doc.number = utcnow(), 1
    assert _lit_menu(drafter.get(f"/outgoing/{doc.id}").get_data(as_text=True)) == [
        "Văn bản đi"]


def test_a_draft_s_state_reads_draft_in_english(app, world):
    drafter = session_for(app, world.drafter.username)
    page = post(drafter, "/outgoing/new", "/outgoing/new", doc_type="CT",
                subject="Về tăng cường cải cách hành chính", recipients=[RACHGIA],
                signer=world.leader.username, authority="TM.", urgency="",
                confidentiality="", mode="compose", body="Đoạn thứ nhất.")
    versions = page.get_data(as_text=True).split('class="versions"', 1)[1].split("</ol>")[0]
    assert "<li>Soạn theo mẫu · " in versions and "compose" not in versions  # not the code
    post(drafter, "/lang/en", "/outgoing/drafts")
    html = drafter.get("/outgoing/drafts").get_data(as_text=True)
    # "Dự thảo" is the menu's "Drafts" and a document's state "Draft" (msgctxt)
    assert 'class="badge st-draft">Draft<' in html
    assert _lit_menu(html) == ["Drafts"]


def test_a_document_s_times_are_shown_in_vietnam_time(app, world):
    """The history, versions and delivery statuses are stored in UTC and shown as the
    official reads them, in Vietnam's time (UTC+7): 20:30 UTC is 03:30 the next day."""
    from datetime import UTC, datetime

    from eoffice.core.uow import unit_of_work
    from eoffice.outgoing import service

    with unit_of_work():
        doc = service.create_draft(world.drafter, doc_type="CV", subject="Giờ Việt Nam",
                                   recipients=[RACHGIA], signer=world.leader.username, body="x")
        for row in (*doc.events, *doc.versions):
            row.created_at = datetime(2026, 11, 26, 20, 30, tzinfo=UTC)
    html = session_for(app, world.drafter.username).get(f"/outgoing/{doc.id}").get_data(
        as_text=True)
    assert html.count("27/11/2026 03:30") == len(doc.events) + len(doc.versions) >= 2
    assert "26/11/2026 20:30" not in html
