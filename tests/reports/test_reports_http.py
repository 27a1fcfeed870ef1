"""The registers and reports from the web page and the API, and every bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from reports_helpers import paper_incoming, read_xlsx

from eoffice.reports import service

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_web_form_and_download(office, client, login):
    paper_incoming(office, "Về kế hoạch chuyển đổi số năm 2026")
    assert login(office.clerk.username).status_code == 302
    response = client.get("/reports")
    assert response.status_code == 200, response.headers
    page = response.get_data(as_text=True)
    assert ">Sổ & báo cáo<" in page and 'href="/reports"' in page  # the navigation link
    for title in ("Sổ đăng ký văn bản đi", "Sổ đăng ký văn bản đến",
                  "Sổ theo dõi giải quyết văn bản đến", "Báo cáo tình hình giải quyết văn bản đến",
                  "Báo cáo tình hình xử lý văn bản đi"):
        assert title in page
    assert office.province.name in page
    day = service.today().isoformat()
    response = client.get("/reports/export", query_string={
        "kind": "incoming_register", "org": office.province.code, "from": day, "to": day,
        "format": "xlsx"})
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    rows = read_xlsx(response.data)
    assert any(r[5] == "Báo cáo: Về kế hoạch chuyển đổi số năm 2026" for r in rows)
    response = client.get("/reports/export", query_string={
        "kind": "incoming_tracking", "from": day, "to": day, "format": "pdf"})
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_web_form_hidden_from_others(office, client, login):
    login(office.drafter.username)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/reports"' not in page
    text = client.get("/reports").get_data(as_text=True)
    assert "Chỉ văn thư và lãnh đạo cơ quan" in text
    day = service.today().isoformat()
    response = client.get("/reports/export", query_string={
        "kind": "incoming_register", "from": day, "to": day})
    assert response.status_code == 403
    assert "không có quyền" in response.get_data(as_text=True)


def test_api_download_and_openapi(office, client, api_token):
    paper_incoming(office, "Về công tác phòng chống thiên tai")
    token = api_token(office.leader.username)
    day = service.today().isoformat()
    response = client.get(f"/api/v1/reports/incoming_register?from={day}&to={day}&format=pdf",
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    response = client.get(f"/api/v1/reports/outgoing_handling?org={office.province.code}"
                          f"&from={day}&to={day}", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and response.mimetype == XLSX
    assert client.get(f"/api/v1/reports/incoming_register?from={day}&to={day}"
                      ).status_code == 401
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/reports/{kind}"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"kind", "org", "from", "to", "format"} <= names
    assert "403" in operation["responses"] and "400" in operation["responses"]


BAD = [
    # (query, status, words of the message)
    ({"kind": "so_mat", "from": "2026-01-01", "to": "2026-01-31"}, 400, "Loại sổ"),
    ({"kind": "incoming_register", "from": "2026-01-01", "to": "2026-01-31",
      "format": "docx"}, 400, "Định dạng"),
    ({"kind": "incoming_register", "to": "2026-01-31"}, 400, "ngày bắt đầu"),
    ({"kind": "incoming_register", "from": "2026-01-01"}, 400, "ngày kết thúc"),
    ({"kind": "incoming_register", "from": "2026-02-30", "to": "2026-03-31"}, 400,
     "Ngày không hợp lệ"),
    ({"kind": "incoming_register", "from": "hôm qua'; DROP TABLE", "to": "2026-03-31"}, 400,
     "Ngày không hợp lệ"),
    ({"kind": "incoming_register", "from": "9999-12-31", "to": "9999-12-31"}, 400,
     "Ngày không hợp lệ"),
    ({"kind": "incoming_register", "from": "0001-01-01", "to": "0001-01-02"}, 400,
     "Ngày không hợp lệ"),
    ({"kind": "incoming_register", "from": "2026-03-31", "to": "2026-03-01"}, 400,
     "Ngày kết thúc phải bằng hoặc sau"),
    ({"kind": "incoming_register", "from": "2016-01-01", "to": "2026-12-31"}, 400,
     "tối đa 366 ngày"),
    ({"kind": "incoming_register", "from": "01/01/2026", "to": "31/12/2026",
      "org": "000.99.99.H99"}, 400, "Không tìm thấy cơ quan"),
    ({"kind": "incoming_register", "from": "2026-01-01", "to": "2026-01-31",
      "org": "000.00.00\x00H33"}, 400, "Không tìm thấy cơ quan"),
    ({"kind": "incoming_register", "from": "2026-01-01", "to": "2026-01-31",
      "org": "000.00.30.H33"}, 403, "không có quyền"),
]


@pytest.mark.parametrize("channel", ["web", "api"])
def test_bad_input_gets_clear_messages(office, client, login, api_token, channel):
    headers = {}
    if channel == "web":
        login(office.clerk.username)
    else:
        headers = {"Authorization": f"Bearer {api_token(office.clerk.username)}"}
    for query, status, words in BAD:
        query = {"org": office.province.code, **query}
        if channel == "web":
            response = client.get("/reports/export", query_string=query)
            text = response.get_data(as_text=True)
        else:
            kind = query.pop("kind")
            response = client.get(f"/api/v1/reports/{kind}", query_string=query, headers=headers)
            body = response.get_json()
            text = body["error"]["message"]
            assert body["error"]["code"] == ("bad_request" if status == 400 else "forbidden")
        assert response.status_code == status, (query, response.status_code)
        assert words in text, (query, text[:300])
    # the form keeps what was typed
    if channel == "web":
        response = client.get("/reports/export", query_string={
            "kind": "incoming_register", "from": "2026-03-31", "to": "2026-03-01"})
        assert 'value="2026-03-31"' in response.get_data(as_text=True)


def test_a_full_leap_year_is_allowed_and_a_day_more_is_not(office):
    request = service.parse_request(office.clerk, kind="incoming_register", org="",
                                    start="2028-01-01", end="2028-12-31")
    assert (request.end - request.start).days == 365
    with pytest.raises(service.BadRequest):
        service.parse_request(office.clerk, kind="incoming_register", org="",
                              start="2027-01-01", end=request.end)
    assert service.parse_day("05/02/2026") == service.parse_day("2026-02-05")
    assert service.parse_day("2026-02-05") + timedelta(days=1) == service.parse_day("6/2/2026")
