"""The incoming API (DESIGN.md §6): the journey province → city, bad input, paper intake."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from helpers import plain_pdf
from incoming_helpers import RACHGIA, make_packet, pump, receive, tamper

from eoffice.incoming import service
from eoffice.interop import service as interop
from eoffice.interop.models import StatusEvent


@pytest.fixture
def as_user(client, api_token):
    tokens: dict[str, str] = {}

    def headers(user) -> dict[str, str]:
        if user.username not in tokens:
            tokens[user.username] = api_token(user.username)
        return {"Authorization": f"Bearer {tokens[user.username]}"}

    return headers


def test_api_journey_with_statuses_back_to_the_province(hub, signed_pdf, client, as_user,
                                                        db_session):
    doc = receive(make_packet(signed_pdf, number="05"))
    clerk, leader, lead = as_user(hub.clerk), as_user(hub.leader), as_user(hub.specialist)

    listing = client.get("/api/v1/incoming?status=received", headers=clerk).get_json()
    assert listing["total"] == 1 and listing["page"] == 1 and listing["per_page"] == 50
    assert listing["items"][0]["id"] == doc.id
    assert client.get("/api/v1/incoming?q=cai cach hanh chinh", headers=clerk
                      ).get_json()["total"] == 1
    assert client.get("/api/v1/incoming?q=ngan sach", headers=clerk).get_json()["total"] == 0
    assert client.get("/api/v1/incoming?status=bogus", headers=clerk).status_code == 422

    record = client.get(f"/api/v1/incoming/{doc.id}", headers=clerk).get_json()
    assert record["signatures"]["valid"] is True
    assert record["signatures"]["signatures"][0]["trusted"] is True
    assert record["valid"] is True and "register" in record["actions"]
    assert record["reply"]["document_id"] == doc.document_id
    pdf = client.get(f"/api/v1/incoming/{doc.id}/pdf", headers=clerk)
    assert pdf.status_code == 200 and pdf.data == signed_pdf
    assert pdf.mimetype == "application/pdf"

    registered = client.post(f"/api/v1/incoming/{doc.id}/register", headers=clerk)
    assert registered.status_code == 200, registered.get_json()
    assert registered.get_json()["status"] == "accepted"
    assert registered.get_json()["incoming_number"] >= 1
    again = client.post(f"/api/v1/incoming/{doc.id}/register", headers=clerk)
    assert again.status_code == 409 and "hai lần" in again.get_json()["error"]["message"]

    deadline = (service.today() + timedelta(days=5)).isoformat()
    assigned = client.post(f"/api/v1/incoming/{doc.id}/assign", headers=leader, json={
        "lead": hub.specialist.username, "cooperate": [f"unit:{hub.unit_nv.id}"],
        "inform": [hub.head_vp.username], "deadline": deadline,
        "directive": "Giao Văn phòng chủ trì tham mưu triển khai."})
    assert assigned.status_code == 200, assigned.get_json()
    body = assigned.get_json()
    assert body["status"] == "assigned" and body["deadline"] == deadline
    assert [(a["role"], a["user"]) for a in body["assignments"]] == [
        ("lead", "cv.rg"), ("cooperate", None), ("inform", "tp.vp")]

    progress = client.post(f"/api/v1/incoming/{doc.id}/progress", headers=lead,
                           json={"text": "Đang dự thảo kế hoạch triển khai"})
    assert progress.status_code == 200 and progress.get_json()["status"] == "processing"
    done = client.post(f"/api/v1/incoming/{doc.id}/complete", headers=lead,
                       json={"result": "Đã ban hành kế hoạch số 12/KH-UBND"})
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["timeliness"] == "early"

    pump()  # statuses travel back through the hub to the province
    events = [e.status_code for e in db_session.query(StatusEvent)
              .filter(StatusEvent.document_id == doc.document_id)
              .order_by(StatusEvent.id)]
    assert events == ["01", "03", "04", "05", "06"]
    [row] = interop.delivery_statuses(doc.document_id)
    assert (row.recipient_code, row.status_code) == (RACHGIA, "06")


def test_api_bad_input_answers_4xx_and_changes_nothing(hub, signed_pdf, client, as_user,
                                                       make_user, db_session):
    doc = receive(make_packet(tamper(signed_pdf), number="06"))
    clerk, leader = as_user(hub.clerk), as_user(hub.leader)
    record = client.get(f"/api/v1/incoming/{doc.id}", headers=clerk).get_json()
    assert record["signatures"]["valid"] is False and record["valid"] is False

    no_reason = client.post(f"/api/v1/incoming/{doc.id}/refuse", headers=clerk,
                            json={"reason": "  "})
    assert no_reason.status_code == 422 and "lý do" in no_reason.get_json()["error"]["message"]
    missing = client.post(f"/api/v1/incoming/{doc.id}/refuse", headers=clerk, json={})
    assert missing.status_code == 422

    early = client.post(f"/api/v1/incoming/{doc.id}/assign", headers=leader,
                        json={"lead": hub.specialist.username})
    assert early.status_code == 409  # not registered yet
    assert client.post(f"/api/v1/incoming/{doc.id}/register", headers=clerk).status_code == 200

    outsider = make_user("specialist", org=hub.ward)
    past = (service.today() - timedelta(days=1)).isoformat()
    future = (service.today() + timedelta(days=3)).isoformat()
    for payload, status, words in (
            ({"lead": outsider.username, "deadline": future}, 422, "không thuộc"),
            ({"lead": hub.specialist.username, "deadline": past}, 422, "quá khứ"),
            ({"lead": hub.specialist.username, "cooperate": [{"user": hub.specialist.username}]},
             422, "một vai trò"),
            ({"lead": "khong-co-ai"}, 422, "Không tìm thấy"),
            ({"lead": f"unit:{hub.ward.id}"}, 422, "Không tìm thấy đơn vị")):
        answer = client.post(f"/api/v1/incoming/{doc.id}/assign", headers=leader, json=payload)
        assert answer.status_code == status, (payload, answer.get_json())
        assert words in answer.get_json()["error"]["message"]
    not_leader = client.post(f"/api/v1/incoming/{doc.id}/assign", headers=clerk,
                             json={"lead": hub.specialist.username})
    assert not_leader.status_code == 403
    state = client.get(f"/api/v1/incoming/{doc.id}", headers=clerk).get_json()
    assert state["status"] == "accepted" and state["assignments"] == []

    client.post(f"/api/v1/incoming/{doc.id}/assign", headers=leader,
                json={"lead": hub.specialist.username, "cooperate": [hub.specialist_nv.username],
                      "deadline": future})
    cooperating = client.post(f"/api/v1/incoming/{doc.id}/complete",
                              headers=as_user(hub.specialist_nv), json={"result": "Xong"})
    assert cooperating.status_code == 403
    assert "chủ trì" in cooperating.get_json()["error"]["message"]
    no_result = client.post(f"/api/v1/incoming/{doc.id}/complete",
                            headers=as_user(hub.specialist), json={"result": ""})
    assert no_result.status_code == 422
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=clerk).get_json()["status"] == \
        "assigned"


def test_api_paper_intake_and_visibility(hub, client, as_user, db_session):
    clerk = as_user(hub.clerk)
    meta = {"issuer_name": "Sở Tài chính", "subject": "Về dự toán ngân sách năm 2027",
            "number": "120", "notation": "STC-NS", "issued_date": "2026-11-18",
            "priority": 1}
    created = client.post("/api/v1/incoming", headers=clerk, data={
        "file": (io.BytesIO(plain_pdf()), "scan.pdf"), "meta": json.dumps(meta)})
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["source"] == "paper" and body["status"] == "received" and body["urgent"]
    bad = client.post("/api/v1/incoming", headers=clerk, data={
        "file": (io.BytesIO(b"not a scan"), "x.txt"), "meta": json.dumps(meta)})
    assert bad.status_code == 422
    bad_meta = client.post("/api/v1/incoming", headers=clerk, data={
        "file": (io.BytesIO(plain_pdf()), "scan.pdf"), "meta": "{nope"})
    assert bad_meta.status_code == 422
    not_clerk = client.post("/api/v1/incoming", headers=as_user(hub.specialist), data={
        "file": (io.BytesIO(plain_pdf()), "scan.pdf"), "meta": json.dumps(meta)})
    assert not_clerk.status_code == 403

    # a commune cannot see the city's documents; a specialist sees only assigned ones
    ward = as_user(hub.ward_clerk)
    assert client.get(f"/api/v1/incoming/{body['id']}", headers=ward).status_code == 404
    assert client.get("/api/v1/incoming", headers=ward).get_json()["total"] == 0
    assert client.get("/api/v1/incoming", headers=as_user(hub.specialist)
                      ).get_json()["total"] == 0
    assert client.get(f"/api/v1/incoming/{body['id']}/pdf", headers=ward).status_code == 404
    assert client.get("/api/v1/incoming").status_code == 401
    assert client.get("/api/v1/incoming?q=du toan ngan sach", headers=clerk
                      ).get_json()["total"] == 1


def test_openapi_lists_the_incoming_calls(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/incoming", "/api/v1/incoming/{doc_id}",
                 "/api/v1/incoming/{doc_id}/register", "/api/v1/incoming/{doc_id}/refuse",
                 "/api/v1/incoming/{doc_id}/assign", "/api/v1/incoming/{doc_id}/complete",
                 "/api/v1/incoming/{doc_id}/pdf"):
        assert path in spec["paths"], path
