"""Web pages (test client, CSRF): the journey and the permission matrix."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import timedelta

import pytest
from helpers import csrf_from, plain_pdf
from incoming_helpers import make_packet, receive, sent_statuses, tamper

from eoffice.core.uow import unit_of_work
from eoffice.incoming import service


def _post(client, url: str, page_url: str, data: dict, **kwargs):
    page = client.get(page_url)
    assert page.status_code == 200, page.status_code
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data},
                       follow_redirects=True, **kwargs)


def _form_csrf(html: str, form_id: str) -> dict[str, str]:
    """The (prefixed) CSRF field of the form ``form_id``."""
    start = html.index(f'id="{form_id}"')
    match = re.search(r'name="([a-z]+-csrf_token)"[^>]*value="([^"]+)"', html[start:])
    return {match.group(1): match.group(2)}


def test_web_journey(hub, signed_pdf, client, login, db_session):
    doc = receive(make_packet(signed_pdf, number="05", priority=1))
    url = f"/incoming/{doc.id}"

    login(hub.clerk.username)
    listing = client.get("/incoming/").get_data(as_text=True)
    assert "Chỉ thị về đẩy mạnh" in listing and "Khẩn" in listing
    assert "Trùng" not in listing and "Chữ ký hợp lệ" in listing
    page = client.get(url).get_data(as_text=True)
    assert "Văn bản hợp lệ" in page and "verdict-ok" in page
    assert "Chi tiết chữ ký số" in page  # the signed PDF's report, signature by signature
    assert "cần trình và xử lý ngay" in page  # urgent
    answer = client.post(f"{url}/register", data={
        **_form_csrf(page, "form-register")}, follow_redirects=True)
    assert "Đã vào sổ văn bản đến" in answer.get_data(as_text=True)
    assert doc.incoming_number is not None or service.get_document(hub.clerk, doc.id)
    client.post("/logout", data={"csrf_token": csrf_from(answer.get_data(as_text=True))})

    login(hub.leader.username)
    page = client.get(url).get_data(as_text=True)
    deadline = (service.today() + timedelta(days=3)).isoformat()
    answer = client.post(f"{url}/assign", data={
        **_form_csrf(page, "form-assign"),
        "assign-directive": "Văn phòng chủ trì, Phòng Nội vụ phối hợp.",
        "assign-lead": f"unit:{hub.unit_vp.id}", "assign-cooperate": [f"unit:{hub.unit_nv.id}"],
        "assign-inform": [hub.specialist_nv.username], "assign-deadline": deadline},
        follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "Đã phân công xử lý" in text, text[:3000]
    assert "Văn phòng chủ trì, Phòng Nội vụ phối hợp." in text
    client.post("/logout", data={"csrf_token": csrf_from(text)})

    login(hub.head_vp.username)
    page = client.get(url).get_data(as_text=True)
    assert "form-reassign" in page
    answer = client.post(f"{url}/reassign", data={
        **_form_csrf(page, "form-reassign"), "reassign-user": hub.specialist.username,
        "reassign-deadline": deadline}, follow_redirects=True)
    assert "Đã giao lại trong đơn vị" in answer.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(answer.get_data(as_text=True))})

    login(hub.specialist.username)
    assert "Chỉ thị về đẩy mạnh" in client.get("/incoming/").get_data(as_text=True)
    page = client.get(url).get_data(as_text=True)
    if "outgoing.new" in client.application.view_functions:  # the lead may answer it
        from html import unescape
        from urllib.parse import parse_qs, urlsplit
        href = unescape(re.search(r'href="([^"]*reply_to=[^"]*)"', page).group(1))
        assert parse_qs(urlsplit(href).query)["reply_to"] == [doc.document_id]
    answer = client.post(f"{url}/progress", data={
        **_form_csrf(page, "form-progress"), "progress-text": "Đã dự thảo kế hoạch",
        "progress-file": (io.BytesIO(b"ke hoach"), "du-thao.txt")},
        content_type="multipart/form-data", follow_redirects=True)
    assert "Đã cập nhật tiến độ" in answer.get_data(as_text=True)
    assert "du-thao.txt" in answer.get_data(as_text=True)
    page = answer.get_data(as_text=True)
    answer = client.post(f"{url}/complete", data={
        **_form_csrf(page, "form-complete"),
        "complete-result": "Đã ban hành kế hoạch triển khai"}, follow_redirects=True)
    text = answer.get_data(as_text=True)
    assert "Đã hoàn thành xử lý văn bản" in text and "Trước hạn" in text
    assert sent_statuses(doc.document_id) == ["01", "03", "04", "05", "06"]

    slip = client.get(f"{url}/slip.pdf")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-", "-"], input=slip.data, capture_output=True,
                          check=True).stdout.decode()
    assert "PHIẾU GIẢI QUYẾT VĂN BẢN ĐẾN" in text
    assert "Văn phòng chủ trì, Phòng Nội vụ phối hợp." in text
    assert "Võ Thanh Hải" in text
    assert client.get(f"{url}/pdf").data == signed_pdf


def test_web_refuse_without_reason_changes_nothing(hub, signed_pdf, client, login, db_session):
    doc = receive(make_packet(tamper(signed_pdf), number="08"))
    login(hub.clerk.username)
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert "Văn bản không hợp lệ" in page and "verdict-bad" in page
    answer = client.post(f"/incoming/{doc.id}/refuse", data={
        **_form_csrf(page, "form-refuse"), "refuse-reason": ""},
        follow_redirects=True)
    assert "Dữ liệu không hợp lệ" in answer.get_data(as_text=True)
    assert service.get_document(hub.clerk, doc.id).status == "received"
    answer = client.post(f"/incoming/{doc.id}/refuse", data={
        **_form_csrf(page, "form-refuse"),
        "refuse-reason": "Chữ ký số không hợp lệ"}, follow_redirects=True)
    assert "Đã từ chối" in answer.get_data(as_text=True)
    assert sent_statuses(doc.document_id) == ["01", "02"]
    # without CSRF nothing happens
    assert client.post(f"/incoming/{doc.id}/register").status_code == 400


def test_web_paper_intake(hub, client, login, db_session):
    login(hub.clerk.username)
    answer = _post(client, "/incoming/new", "/incoming/new", {
        "files": (io.BytesIO(plain_pdf()), "scan.pdf"), "issuer_name": "Sở Tài chính",
        "subject": "Về dự toán ngân sách", "number": "120", "notation": "STC-NS",
        "priority": "0"}, content_type="multipart/form-data")
    text = answer.get_data(as_text=True)
    assert "Đã tiếp nhận văn bản giấy" in text and "Văn bản giấy (bản quét)" in text
    # a scan has no signatures: no empty "details" panel, and no signer is "—"
    assert "Chi tiết chữ ký số" not in text
    assert re.search(r"Người ký</dt><dd>\s*—\s*</dd>", text)
    client.post("/logout", data={"csrf_token": csrf_from(text)})
    login(hub.specialist.username)
    assert client.get("/incoming/new").status_code == 403


@pytest.mark.parametrize("who, expected", [
    ("clerk", 200), ("leader", 200), ("specialist", 403), ("head_vp", 403),
    ("ward_clerk", 404), ("ward_leader", 404), ("province_clerk", 404)])
def test_permission_matrix_before_assignment(hub, signed_pdf, client, login, who, expected,
                                             db_session):
    doc = receive(make_packet(signed_pdf, number="61"))
    login(getattr(hub, who).username)
    assert client.get(f"/incoming/{doc.id}").status_code == expected
    assert client.get(f"/incoming/{doc.id}/pdf").status_code == expected
    listed = "Chỉ thị về đẩy mạnh" in client.get("/incoming/").get_data(as_text=True)
    assert listed == (expected == 200)


def test_permission_matrix_after_assignment(hub, signed_pdf, client, login, db_session):
    doc = receive(make_packet(signed_pdf, number="62"))
    with unit_of_work():
        service.register(hub.clerk, doc)
        service.assign(hub.leader, doc, lead=f"unit:{hub.unit_vp.id}",
                       inform=[hub.specialist_nv.username])
    expected = {"head_vp": 200, "specialist_nv": 200, "specialist": 403, "ward_leader": 404}
    for who, status in expected.items():
        login(getattr(hub, who).username)
        assert client.get(f"/incoming/{doc.id}").status_code == status, who
        home = client.get("/").get_data(as_text=True)
        client.post("/logout", data={"csrf_token": csrf_from(home)})
    # an informed person may read but not report progress or complete
    with pytest.raises(Exception) as exc:
        service.complete(hub.specialist_nv, doc, "Xong")
    assert getattr(exc.value, "status", None) == 403


def test_anonymous_is_sent_to_login(client, app):
    answer = client.get("/incoming/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
