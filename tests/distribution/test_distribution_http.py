"""Distribution over the API and the web: the contract, bad input, the panel and the list."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from helpers import csrf_from

from eoffice.extensions import db
from eoffice.incoming.distribution import IncomingDistribution


def _auth(api_token: Any, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_token(username)}"}


def test_api_distribute_read_and_status(body: Any, paper: Any, client: Any,
                                        api_token: Any) -> None:
    doc = paper()
    clerk = _auth(api_token, "d.clerk")
    answer = client.post(f"/api/v1/incoming/{doc.id}/distribute", headers=clerk,
                         json={"units": ["VP"], "users": ["d.nv1"], "note": "Để biết"})
    assert answer.status_code == 201, answer.get_json()
    data = answer.get_json()
    assert data["total"] == 3 and data["read"] == 0 and data["unread"] == 3
    assert {r["user"]: r["unit"] for r in data["recipients"]} == {
        "d.vp1": "Văn phòng", "d.vp2": "Văn phòng", "d.nv1": None}

    vp1 = _auth(api_token, "d.vp1")
    listed = client.get("/api/v1/incoming", headers=vp1).get_json()
    assert [d["id"] for d in listed["items"]] == [doc.id]
    inform = client.get("/api/v1/incoming/to-inform?unread=true", headers=vp1).get_json()
    assert inform["total"] == 1 and inform["items"][0]["id"] == doc.id
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=vp1).status_code == 200
    read = client.post(f"/api/v1/incoming/{doc.id}/read", headers=vp1)
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert client.get("/api/v1/incoming/to-inform?unread=true",
                      headers=vp1).get_json()["total"] == 0

    status = client.get(f"/api/v1/incoming/{doc.id}/distribution",
                        headers=_auth(api_token, "d.leader")).get_json()
    assert status["read"] == 1 and status["unread"] == 2
    assert {r["user"]: r["read"] for r in status["recipients"]} == {
        "d.vp1": True, "d.vp2": False, "d.nv1": False}
    # a recipient may not see the status list; a non-recipient sees nothing at all
    assert client.get(f"/api/v1/incoming/{doc.id}/distribution",
                      headers=vp1).status_code == 403
    other = _auth(api_token, "d.other")
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=other).status_code == 403
    assert client.post(f"/api/v1/incoming/{doc.id}/read", headers=other).status_code == 403
    outsider = _auth(api_token, "x.person")
    assert client.get(f"/api/v1/incoming/{doc.id}", headers=outsider).status_code == 404
    # the clerk was not a recipient: 409
    assert client.post(f"/api/v1/incoming/{doc.id}/read", headers=clerk).status_code == 409


def test_api_bad_input_writes_nothing(body: Any, paper: Any, client: Any,
                                      api_token: Any) -> None:
    unregistered = paper(register=False)
    doc = paper()
    clerk = _auth(api_token, "d.clerk")
    cases = [
        (unregistered.id, {"users": ["d.vp1"]}, 409, "chưa vào sổ"),
        (doc.id, {"users": ["khong.co.ai"]}, 400, "Không tìm thấy người nhận"),
        (doc.id, {"units": ["KHONGCO"]}, 400, "Không tìm thấy đơn vị"),
        (doc.id, {"users": ["x.person"]}, 403, "cơ quan mình"),
        (doc.id, {}, 400, "Chưa chọn"),
        (doc.id, {"users": "d.vp1"}, 422, None),
    ]
    for doc_id, payload, status, text in cases:
        answer = client.post(f"/api/v1/incoming/{doc_id}/distribute", headers=clerk,
                             json=payload)
        assert answer.status_code == status, (payload, answer.get_json())
        if text:
            assert text in answer.get_json()["error"]["message"]
    answer = client.post(f"/api/v1/incoming/{doc.id}/distribute",
                         headers=_auth(api_token, "d.vp1"), json={"users": ["d.vp2"]})
    assert answer.status_code == 403
    answer = client.post(f"/api/v1/incoming/{doc.id}/distribute",
                         headers=_auth(api_token, "x.clerk"), json={"users": ["d.vp2"]})
    assert answer.status_code == 404
    assert db.session.execute(sa.select(IncomingDistribution)).first() is None


def test_web_distribute_open_reads_and_list(body: Any, paper: Any, client: Any,
                                            login: Any) -> None:
    doc = paper()
    login("d.clerk")
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert 'id="form-distribute"' in page
    answer = client.post(f"/incoming/{doc.id}/distribute", data={
        "csrf_token": csrf_from(page), "distribute-units": [str(body.unit_vp.id)],
        "distribute-users": ["d.nv1"], "distribute-note": "Đề nghị nghiên cứu"})
    assert answer.status_code == 302
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert "Đã phân phối văn bản cho 3 người để biết." in page
    assert "Đã đọc 0 / 3 người." in page
    client.post("/logout", data={"csrf_token": csrf_from(page)})

    login("d.vp1")
    home = client.get("/").get_data(as_text=True)
    assert "Văn bản để biết" in home
    listing = client.get("/incoming/to-inform?unread=1").get_data(as_text=True)
    assert doc.subject in listing
    shown = client.get(f"/incoming/{doc.id}").get_data(as_text=True)  # opening reads it
    assert "Văn bản này được gửi cho bạn để biết" in shown
    assert 'id="form-distribute"' not in shown and 'id="distribution"' not in shown
    assert doc.subject not in client.get("/incoming/to-inform?unread=1").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_from(shown)})

    login("d.vp2")
    listing = client.get("/incoming/to-inform").get_data(as_text=True)
    answer = client.post(f"/incoming/{doc.id}/read",
                         data={"csrf_token": csrf_from(listing), "next": "list"})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith("/incoming/to-inform")
    client.post("/logout", data={"csrf_token": csrf_from(listing)})

    login("d.leader")
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert "Đã đọc 2 / 3 người." in page and "Chưa đọc" in page
    client.post("/logout", data={"csrf_token": csrf_from(page)})

    login("d.other")
    assert client.get(f"/incoming/{doc.id}").status_code == 403


def test_web_distribute_bad_input_is_flashed(body: Any, paper: Any, client: Any,
                                             login: Any) -> None:
    doc = paper(register=False)
    login("d.clerk")
    page = client.get(f"/incoming/{doc.id}").get_data(as_text=True)
    assert 'id="form-distribute"' not in page  # not registered yet: no form
    answer = client.post(f"/incoming/{doc.id}/distribute", data={
        "csrf_token": csrf_from(page), "distribute-users": ["d.vp1"]}, follow_redirects=True)
    assert "Văn bản chưa vào sổ, chưa phân phối được." in answer.get_data(as_text=True)
    assert db.session.execute(sa.select(IncomingDistribution)).first() is None


def test_openapi_lists_the_distribution_and_group_calls(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/incoming/{doc_id}/distribute", "/api/v1/incoming/{doc_id}/distribution",
                 "/api/v1/incoming/{doc_id}/read", "/api/v1/incoming/to-inform",
                 "/api/v1/recipient-groups"):
        assert path in spec["paths"], path
