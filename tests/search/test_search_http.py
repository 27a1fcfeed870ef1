"""``/search`` and ``GET /api/v1/search``: results, saved searches, bad input (never a
500), the lists' ``q`` on the same engine, and a query count that does not grow with the
number of results."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from helpers import csrf_from
from search_helpers import paper

from eoffice.extensions import db

BAD_QUERIES = ['"', "*", "NEAR(", "' OR 1=1 --", '"*():-^', "x" * 5000, "", "   "]


@pytest.fixture
def bearer(api_token):
    def headers(user) -> dict[str, str]:
        return {"Authorization": f"Bearer {api_token(user.username)}"}

    return headers


@contextmanager
def count_statements():
    """Count the SQL statements sent while the block runs."""
    seen: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)


def test_search_page_finds_highlights_and_links(world, queued, client, login, db_session):
    doc = paper(world.city_clerk, subject="Chỉ thị về đẩy mạnh cải cách hành chính",
                signer="Trần Quốc Khánh")
    login(world.city_clerk.username)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/search"' in home and "Tìm kiếm" in home
    page = client.get("/search?q=chi thi cai cach")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'href="/incoming/{doc.id}"' in html
    assert "<mark>Chỉ</mark> <mark>thị</mark>" in html and "<mark>cải</mark>" in html
    assert "Tìm thấy 1 văn bản" in html
    empty = client.get("/search?q=khong co gi ca").get_data(as_text=True)
    assert "Không tìm thấy văn bản nào" in empty
    # in English one result is "1 document", not "1 documents"
    client.post("/lang/en", data={"csrf_token": csrf_from(html)},
                headers={"Referer": "http://localhost/search"})
    english = client.get("/search?q=chi thi cai cach").get_data(as_text=True)
    assert "1 document found." in english
    filtered = client.get(f"/search?issuer={doc.issuer_code}").get_data(as_text=True)
    assert "1 document matching the filters" in filtered


@pytest.mark.parametrize("q", BAD_QUERIES)
def test_bad_queries_on_the_page_and_the_api(world, queued, client, login, bearer, db_session,
                                             q):
    paper(world.city_clerk, subject="Về việc near or and")
    headers = bearer(world.city_clerk)
    api = client.get("/api/v1/search", query_string={"q": q}, headers=headers)
    listing = client.get("/api/v1/incoming", query_string={"q": q}, headers=headers)
    login(world.city_clerk.username)
    web = client.get("/search", query_string={"q": q})
    web_list = client.get("/incoming/", query_string={"q": q})
    if len(q) > 200:
        for response in (api, listing, web, web_list):
            assert response.status_code == 400
        assert "quá dài" in api.get_json()["error"]["message"]
        assert "quá dài" in web.get_data(as_text=True)
    else:
        for response in (api, listing, web, web_list):
            assert response.status_code == 200, (response.status_code, response.data[:300])
        assert {"items", "total", "page", "per_page"} <= set(api.get_json())


@pytest.mark.parametrize("args, message", [
    ({"from": "2026-05-01", "to": "2026-04-01"}, "Ngày kết thúc phải sau"),
    ({"from": "hôm qua"}, "Ngày không hợp lệ"),
    ({"status": "bogus"}, "Trạng thái không hợp lệ"),
    ({"urgency": "rat khan"}, "Độ khẩn không hợp lệ"),
    ({"kind": "all"}, "Loại sổ không hợp lệ"),
    ({"order": "x"}, "Thứ tự không hợp lệ"),
])
def test_bad_filters_answer_400_in_vietnamese(world, client, login, bearer, db_session, args,
                                              message):
    api = client.get("/api/v1/search", query_string=args, headers=bearer(world.city_clerk))
    assert api.status_code == 400
    assert api.get_json()["error"]["code"] == "bad_request"
    assert message in api.get_json()["error"]["message"]
    login(world.city_clerk.username)
    web = client.get("/search", query_string=args)
    assert web.status_code == 400 and message in web.get_data(as_text=True)


def test_api_search_pages_and_filters(world, queued, client, bearer, db_session):
    docs = [paper(world.city_clerk, subject=f"Về việc cải cách hành chính đợt {n}",
                  number=str(n)) for n in range(1, 6)]
    headers = bearer(world.city_clerk)
    body = client.get("/api/v1/search?q=cai cach&per_page=2&page=2&order=date",
                      headers=headers).get_json()
    assert body["total"] == 5 and body["page"] == 2 and body["per_page"] == 2
    assert [i["id"] for i in body["items"]] == [docs[2].id, docs[1].id]
    item = body["items"][0]
    assert item["kind"] == "incoming" and item["status"] == "received"
    assert item["status_name"] == "Mới đến, chờ vào sổ"
    assert item["url"] == f"/api/v1/incoming/{docs[2].id}"
    assert item["date"] == "2026-03-02"
    assert client.get("/api/v1/search?q=cai cach&kind=outgoing", headers=headers
                      ).get_json()["total"] == 0
    assert client.get("/api/v1/search?q=dot 3", headers=headers).get_json()["total"] == 1
    # another body sees none of it
    assert client.get("/api/v1/search?q=cai cach", headers=bearer(world.clerk)
                      ).get_json()["total"] == 0
    assert client.get("/api/v1/search?q=cai cach").status_code == 401


def test_list_q_parameters_use_the_search_engine(world, queued, client, bearer, db_session):
    doc = paper(world.city_clerk, subject="Về việc đẩy mạnh chuyển đổi số",
                lines=("Kế hoạch phát triển đô thị thông minh.",))
    queued.run()
    headers = bearer(world.city_clerk)
    for q in ("day manh chuyen doi so", "DO THI THONG MINH"):
        listing = client.get("/api/v1/incoming", query_string={"q": q}, headers=headers)
        assert [i["id"] for i in listing.get_json()["items"]] == [doc.id], q
    assert client.get("/api/v1/outgoing?q=chuyen doi so", headers=bearer(world.clerk)
                      ).get_json()["total"] == 0


def test_saved_searches_on_the_api(world, queued, client, bearer, db_session):
    paper(world.city_clerk, subject="Về việc cải cách hành chính")
    headers = bearer(world.city_clerk)
    created = client.post("/api/v1/search/saved", headers=headers,
                          json={"name": "Cải cách", "params": {"q": "cai cach"}})
    assert created.status_code == 201, created.get_json()
    saved = created.get_json()
    assert saved["name"] == "Cải cách" and saved["params"] == {"q": "cai cach"}
    assert client.get("/api/v1/search/saved", headers=headers).get_json()["items"] == [saved]
    run = client.get(f"/api/v1/search/saved/{saved['id']}/results", headers=headers)
    assert run.status_code == 200 and run.get_json()["total"] == 1
    other = bearer(world.city_leader)
    assert client.get(f"/api/v1/search/saved/{saved['id']}/results", headers=other
                      ).status_code == 404
    assert client.delete(f"/api/v1/search/saved/{saved['id']}", headers=other
                         ).status_code == 404
    bad = client.post("/api/v1/search/saved", headers=headers,
                      json={"name": "Sai", "params": {"from": "2026-02-01", "to": "2026-01-01"}})
    assert bad.status_code == 400
    assert client.post("/api/v1/search/saved", headers=headers, json={"params": {}}
                       ).status_code == 422
    assert client.delete(f"/api/v1/search/saved/{saved['id']}", headers=headers
                         ).status_code == 204
    assert client.get("/api/v1/search/saved", headers=headers).get_json()["items"] == []


def test_saved_searches_on_the_page(world, queued, client, login, db_session):
    paper(world.city_clerk, subject="Về việc cải cách hành chính")
    login(world.city_clerk.username)
    page = client.get("/search?q=cai cach&kind=incoming")
    saved = client.post("/search/saved", data={
        "name": "Văn bản cải cách", "q": "cai cach", "kind": "incoming",
        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert saved.status_code == 302 and "q=cai" in saved.headers["Location"]
    html = client.get("/search").get_data(as_text=True)
    assert "Văn bản cải cách" in html
    from eoffice.search.models import SavedSearch

    row = db.session.execute(sa.select(SavedSearch)).scalar_one()
    run = client.get(f"/search/saved/{row.id}")
    assert run.status_code == 302 and "kind=incoming" in run.headers["Location"]
    assert "Tìm thấy 1 văn bản" in client.get(run.headers["Location"]).get_data(as_text=True)
    deleted = client.post(f"/search/saved/{row.id}/delete",
                          data={"csrf_token": csrf_from(html)})
    assert deleted.status_code == 302
    assert db.session.execute(sa.select(SavedSearch)).scalars().all() == []
    nameless = client.post("/search/saved", data={"name": " ", "q": "x",
                                                  "csrf_token": csrf_from(html)})
    assert nameless.status_code == 302
    assert "Chưa đặt tên" in client.get(nameless.headers["Location"]).get_data(as_text=True)


def test_query_count_does_not_grow_with_the_results(world, queued, client, login, bearer,
                                                    db_session):
    for n in range(3):
        paper(world.city_clerk, subject=f"Về việc kiểm tra công vụ số {n}", number=str(n))
    login(world.city_clerk.username)
    headers = bearer(world.city_clerk)

    def measure() -> tuple[int, int]:
        with count_statements() as web:
            assert client.get("/search?q=kiem tra cong vu&per_page=50").status_code == 200
        with count_statements() as api:
            assert client.get("/api/v1/search?q=kiem tra cong vu&per_page=50",
                              headers=headers).status_code == 200
        return len(web), len(api)

    few = measure()
    for n in range(3, 15):
        paper(world.city_clerk, subject=f"Về việc kiểm tra công vụ số {n}", number=str(n))
    assert client.get("/api/v1/search?q=kiem tra cong vu", headers=headers
                      ).get_json()["total"] == 15
    assert measure() == few


def test_counts_stop_at_the_cap_and_pages_beyond_it_are_refused(world, queued, client, bearer,
                                                                login, db_session,
                                                                monkeypatch):
    from eoffice.search import engine

    monkeypatch.setattr(engine, "MAX_COUNT", 2)
    for n in range(3):
        paper(world.city_clerk, subject=f"Về việc thi đua khen thưởng {n}", number=str(n))
    headers = bearer(world.city_clerk)
    body = client.get("/api/v1/search?q=thi dua&per_page=1", headers=headers).get_json()
    assert body["total"] == 2 and body["total_exact"] is False and len(body["items"]) == 1
    beyond = client.get("/api/v1/search?q=thi dua&per_page=1&page=3", headers=headers)
    assert beyond.status_code == 400 and "thu hẹp" in beyond.get_json()["error"]["message"]
    login(world.city_clerk.username)
    assert "Tìm thấy hơn 2 văn bản" in client.get("/search?q=thi dua").get_data(as_text=True)
