"""The outgoing API (DESIGN.md §6): the full journey, two-step signing, errors."""

from __future__ import annotations

import base64
import io
import json

import pytest
from outgoing_helpers import HATIEN, PIN, RACHGIA, uploaded_pdf

import signing
from eoffice.documents import keys

BODY = "Yêu cầu các cơ quan, đơn vị triển khai thực hiện nghiêm túc Chỉ thị này."


@pytest.fixture
def tokens(world, api_token):
    return {name: {"Authorization": f"Bearer {api_token(getattr(world, name).username)}"}
            for name in ("drafter", "leader", "clerk")}


def _compose(client, tokens, world, **extra):
    meta = {"doc_type": "CT", "subject": "Về tăng cường kỷ luật hành chính",
            "recipients": [RACHGIA, HATIEN], "signer": world.leader.username,
            "urgency": "khan", "due_date": "2026-12-31", "body": BODY, **extra}
    return client.post("/api/v1/outgoing", json=meta, headers=tokens["drafter"])


def test_api_journey_compose_review_sign_issue(client, tokens, world):
    created = _compose(client, tokens, world)
    assert created.status_code == 201, created.get_json()
    doc_id = created.get_json()["id"]
    assert created.get_json()["status"] == "draft"
    h = tokens
    assert client.post(f"/api/v1/outgoing/{doc_id}/approve", json={},
                       headers=h["leader"]).status_code == 409
    assert client.post(f"/api/v1/outgoing/{doc_id}/submit", json={"comment": "Kính trình"},
                       headers=h["drafter"]).get_json()["status"] == "in_review"
    returned = client.post(f"/api/v1/outgoing/{doc_id}/return", json={"comment": "Sửa trích yếu"},
                           headers=h["leader"])
    assert returned.get_json()["status"] == "returned"
    client.post(f"/api/v1/outgoing/{doc_id}/submit", json={}, headers=h["drafter"])
    assert client.post(f"/api/v1/outgoing/{doc_id}/approve", json={},
                       headers=h["leader"]).get_json()["status"] == "approved"
    wrong = client.post(f"/api/v1/outgoing/{doc_id}/sign", json={"pin": "000000"},
                        headers=h["leader"])
    assert wrong.status_code == 422 and wrong.get_json()["error"]["message"] == "Mã PIN không đúng."
    assert client.post(f"/api/v1/outgoing/{doc_id}/sign", json={"pin": PIN},
                       headers=h["clerk"]).status_code == 403
    signed = client.post(f"/api/v1/outgoing/{doc_id}/sign", json={"pin": PIN}, headers=h["leader"])
    assert signed.status_code == 200 and signed.get_json()["status"] == "signed"
    issued = client.post(f"/api/v1/outgoing/{doc_id}/issue", headers=h["clerk"])
    assert issued.status_code == 200, issued.get_json()
    body = issued.get_json()
    assert body["number"] == "01" and body["notation"] == "CT-UBND" and body["issued_at"]
    again = client.post(f"/api/v1/outgoing/{doc_id}/issue", headers=h["clerk"])
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invalid_transition"
    rec = client.get(f"/api/v1/outgoing/{doc_id}", headers=h["drafter"]).get_json()
    assert rec["status"] == "sent" and rec["number"] == "01"
    assert {r["org_code"] for r in rec["recipients"]} == {RACHGIA, HATIEN}
    assert all(r["status"] == "pending" and "updated_at" in r for r in rec["recipients"])
    assert [e["action"] for e in rec["history"]][:3] == ["create", "submit", "return"]
    assert rec["history"][2]["comment"] == "Sửa trích yếu"
    pdf = client.get(f"/api/v1/outgoing/{doc_id}/pdf", headers=h["clerk"])
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    report = keys.verify_pdf(pdf.data)
    assert report["valid"] and len([s for s in report["signatures"]
                                    if s["kind"] == "signature"]) == 2


def test_api_upload_and_two_step_signing(client, tokens, world):
    meta = {"doc_type": "QĐ", "subject": "Quyết định thành lập tổ công tác",
            "recipients": [RACHGIA], "signer": world.leader.username}
    created = client.post("/api/v1/outgoing", headers=tokens["drafter"], data={
        "meta": json.dumps(meta), "file": (io.BytesIO(uploaded_pdf()), "qd.pdf")},
        content_type="multipart/form-data")
    assert created.status_code == 201, created.get_json()
    doc_id = created.get_json()["id"]
    rec = client.get(f"/api/v1/outgoing/{doc_id}", headers=tokens["drafter"]).get_json()
    assert rec["layout_detected"] and rec["layout"]["number_box"]
    client.post(f"/api/v1/outgoing/{doc_id}/submit", json={}, headers=tokens["drafter"])
    client.post(f"/api/v1/outgoing/{doc_id}/approve", json={}, headers=tokens["leader"])
    key = keys.load_signer_key(keys.active_key("user", world.leader.id), PIN)
    prepared = client.post(f"/api/v1/outgoing/{doc_id}/sign/prepare", headers=tokens["leader"],
                           json={"certificate": base64.b64encode(key.certificate.dump()).decode()})
    assert prepared.status_code == 200, prepared.get_json()
    request = signing.ExternalSigningRequest.from_json(json.dumps(prepared.get_json()))
    raw = signing.sign_external_request(request, key)
    done = client.post(f"/api/v1/outgoing/{doc_id}/sign/complete", headers=tokens["leader"],
                       json={"signature": base64.b64encode(raw).decode()})
    assert done.status_code == 200 and done.get_json()["status"] == "signed"
    issued = client.post(f"/api/v1/outgoing/{doc_id}/issue", headers=tokens["clerk"]).get_json()
    assert issued["notation"] == "QĐ-UBND"


def test_api_bad_input_answers_error_objects(client, tokens, world, app):
    def upload(data, name="x.pdf", meta=None):
        meta = meta or {"doc_type": "CT", "subject": "S", "recipients": [RACHGIA],
                        "signer": world.leader.username}
        return client.post("/api/v1/outgoing", headers=tokens["drafter"],
                           data={"meta": json.dumps(meta), "file": (io.BytesIO(data), name)},
                           content_type="multipart/form-data")

    cases = [
        (upload(b"GIF89a not a document", "x.gif"), 422),
        (upload(b"%PDF-1.4\ngarbage"), 422),
        (_compose(client, tokens, world, doc_type="ZZ"), 422),
        (_compose(client, tokens, world, subject=""), 422),
        (_compose(client, tokens, world, recipients=["000.00.77.H77"]), 422),
        (client.post("/api/v1/outgoing", data="not json", headers=tokens["drafter"],
                     content_type="text/plain"), 400),
        (client.post("/api/v1/outgoing", json={}), 401),
        (client.get("/api/v1/outgoing/999999", headers=tokens["drafter"]), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] and error["message"]
    app.config["MAX_CONTENT_LENGTH"], saved = 2000, app.config["MAX_CONTENT_LENGTH"]
    try:
        assert upload(uploaded_pdf()).status_code == 413
    finally:
        app.config["MAX_CONTENT_LENGTH"] = saved


def test_api_confidential_is_issued_but_not_sent(client, tokens, world):
    doc_id = _compose(client, tokens, world, confidentiality="toi_mat").get_json()["id"]
    client.post(f"/api/v1/outgoing/{doc_id}/submit", json={}, headers=tokens["drafter"])
    client.post(f"/api/v1/outgoing/{doc_id}/approve", json={}, headers=tokens["leader"])
    client.post(f"/api/v1/outgoing/{doc_id}/sign", json={"pin": PIN}, headers=tokens["leader"])
    issued = client.post(f"/api/v1/outgoing/{doc_id}/issue", headers=tokens["clerk"])
    assert issued.status_code == 200 and issued.get_json()["status"] == "issued"
    refused = client.post(f"/api/v1/outgoing/{doc_id}/send", headers=tokens["clerk"])
    assert refused.status_code == 409
    assert "QĐ 28/2018/QĐ-TTg" in refused.get_json()["error"]["message"]
    rec = client.get(f"/api/v1/outgoing/{doc_id}", headers=tokens["clerk"]).get_json()
    assert {r["status"] for r in rec["recipients"]} == {"not_sent"}


def test_openapi_lists_the_outgoing_calls(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/outgoing", "/api/v1/outgoing/{doc_id}/issue",
                 "/api/v1/outgoing/{doc_id}/sign/prepare", "/api/v1/outgoing/{doc_id}/pdf"):
        assert path in spec["paths"], path
