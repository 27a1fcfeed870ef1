"""The §11 figures: per body, rolled up the tree, permissions, API = web, bad input,
and a query count that does not grow with bodies or documents."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from dashboard_helpers import (
    assign,
    complete,
    days_ago,
    receive_electronic,
    receive_paper,
    refuse,
    register,
)

from eoffice.core.errors import BadRequest, NotFound, PermissionDenied
from eoffice.dashboard import stats
from eoffice.extensions import db


def _directed(tree, body, doc, *, deadline, now=None):
    people = tree.people
    key = {tree.district.id: "district", tree.commune.id: "commune",
           tree.province.id: "province", tree.sibling.id: "sibling"}[body.id]
    register(people[f"{key}_clerk"], doc)
    assign(people[f"{key}_leader"], doc, people[f"{key}_specialist"], deadline, now=now)
    return people[f"{key}_specialist"]


@pytest.fixture
def loaded(tree):
    """Documents in every state: district (6 this year + 1 last year), commune 2,
    province 1, sibling none."""
    p, today = tree.people, stats.today()
    d, c = tree.district, tree.commune
    # district: early, late, within (waiting for the register), overdue, withdrawn, refused
    early = receive_electronic(d)
    who = _directed(tree, d, early, deadline=today + timedelta(days=5))
    complete(who, early)
    late = receive_electronic(d, priority=2)
    who = _directed(tree, d, late, deadline=today - timedelta(days=3), now=days_ago(10))
    complete(who, late)
    receive_paper(p["district_clerk"], d)
    overdue = receive_paper(p["district_clerk"], d, priority=1)
    _directed(tree, d, overdue, deadline=today - timedelta(days=2), now=days_ago(6))
    revoked = receive_electronic(d)
    receive_electronic(d, revoke=revoked.document_id)
    refuse(p["district_clerk"], receive_paper(p["district_clerk"], d))
    old = receive_paper(p["district_clerk"], d)
    old.received_at = old.received_at.replace(year=today.year - 1)
    # commune: on time, within (electronic, not yet registered)
    on_time = receive_paper(p["commune_clerk"], c)
    who = _directed(tree, c, on_time, deadline=today)
    complete(who, on_time)
    receive_electronic(c)
    # province: one received on paper
    receive_paper(p["province_clerk"], tree.province)
    db.session.flush()
    return tree


DISTRICT_TOTAL = {"received": 8, "received_electronic": 4, "received_paper": 4,
                  "resolved": 3, "resolved_early": 1, "resolved_on_time": 1, "resolved_late": 1,
                  "in_progress": 3, "in_progress_within": 2, "in_progress_overdue": 1,
                  "withdrawn": 1, "refused": 1, "issued": 0}


def test_figures_per_body_and_rolled_up(loaded):
    tree = loaded
    period = stats.parse_period(None, None)
    district = stats.figures_for(tree.district, period)
    assert district["total"] == DISTRICT_TOTAL
    assert district["own"]["received"] == 6 and district["own"]["received_paper"] == 3
    assert [c["org"]["code"] for c in district["children"]] == [tree.commune.code]
    assert district["children"][0]["total"]["received"] == 2
    assert district["children"][0]["total"]["resolved_on_time"] == 1

    province = stats.figures_for(tree.province, period)
    assert province["own"]["received"] == 1 and province["own"]["in_progress_within"] == 1
    children = {c["org"]["code"]: c["total"] for c in province["children"]}
    assert set(children) == {tree.district.code, tree.sibling.code}  # the unit is no child
    assert children[tree.district.code] == DISTRICT_TOTAL
    assert children[tree.sibling.code] == stats.empty()
    for key in stats.FIGURES:  # the rollup is the body's own plus its children
        assert province["total"][key] == province["own"][key] + sum(
            c[key] for c in children.values())
    total = province["total"]
    assert total["received"] == total["resolved"] + total["in_progress"] \
        + total["withdrawn"] + total["refused"] == 9


def test_period_bounds_select_the_cohort(loaded):
    tree, today = loaded, stats.today()
    last_year = stats.parse_period(f"{today.year - 1}-01-01", f"{today.year - 1}-12-31")
    assert stats.figures_for(tree.district, last_year)["total"]["received"] == 1
    both = stats.parse_period(f"{today.year - 1}-01-01", today.isoformat())
    assert stats.figures_for(tree.district, both)["total"]["received"] == 9
    future = stats.parse_period((today + timedelta(days=1)).isoformat(),
                                (today + timedelta(days=30)).isoformat())
    assert stats.figures_for(tree.province, future)["total"] == stats.empty()


def test_permissions_follow_the_tree(loaded):
    tree, p = loaded, loaded.people
    # the province's leader sees everything below; the district sees itself and its commune
    assert stats.stats(p["province_leader"], org=tree.commune.code)["total"]["received"] == 2
    assert stats.stats(p["district_clerk"], org=tree.commune.code)["total"]["received"] == 2
    assert stats.stats(p["district_leader"])["org"]["code"] == tree.district.code
    for org in (tree.province, tree.sibling):
        with pytest.raises(PermissionDenied):
            stats.stats(p["district_leader"], org=org.code)
    with pytest.raises(PermissionDenied):
        stats.stats(p["commune_leader"], org=tree.district.code)
    with pytest.raises(PermissionDenied):  # a specialist has no figures, not even their own
        stats.stats(p["district_specialist"])


def test_bad_input_is_a_clear_error(tree):
    leader = tree.people["district_leader"]
    with pytest.raises(BadRequest) as info:
        stats.stats(leader, start="2026-05-01", end="2026-04-01")
    assert "trước ngày bắt đầu" in info.value.message
    for value in ("2026-13-01", "hôm qua", "2026/01/01'; drop table x", "0001-01-01"):
        with pytest.raises(BadRequest) as info:
            stats.stats(leader, start=value)
        assert "Ngày không hợp lệ" in info.value.message
    with pytest.raises(NotFound):
        stats.stats(leader, org="999.99.99.Z99")
    assert stats.parse_period("01/02/2026", "28/02/2026") == stats.Period(
        date(2026, 2, 1), date(2026, 2, 28))


def _row_numbers(html: str, row_id: str) -> list[int]:
    row = re.search(rf'<tr[^>]*id="{re.escape(row_id)}"[^>]*>(.*?)</tr>', html, re.S)
    assert row, row_id
    return [int(n) for n in re.findall(r"<td>(\d+)</td>", row.group(1))]


TABLE = ("received", "received_electronic", "received_paper", "resolved_early",
         "resolved_on_time", "resolved_late", "in_progress_within", "in_progress_overdue",
         "withdrawn", "refused", "issued")


def test_api_returns_the_web_numbers(loaded, client, login, api_token):
    tree, leader = loaded, loaded.people["province_leader"]
    headers = {"Authorization": f"Bearer {api_token(leader.username)}"}
    api = client.get(f"/api/v1/stats?org={tree.province.code}", headers=headers)
    assert api.status_code == 200, api.get_json()
    body = api.get_json()
    assert body["org"]["code"] == tree.province.code
    assert body["period"] == {"from": f"{stats.today().year}-01-01",
                              "to": stats.today().isoformat()}
    assert body["total"]["received"] == 9
    login(leader.username)
    page = client.get(f"/stats?org={tree.province.code}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chart-bodies"' in html and "vendor/chartjs/chart.umd.js" in html
    assert _row_numbers(html, "row-total") == [body["total"][k] for k in TABLE]
    assert _row_numbers(html, "row-own") == [body["own"][k] for k in TABLE]
    for child in body["children"]:
        assert _row_numbers(html, f"row-{child['org']['code']}") == [
            child["total"][k] for k in TABLE]
    # drill down: the district's row links to the district's page, which lists the commune
    assert f"/stats?org={tree.district.code}" in html
    drill = client.get(f"/stats?org={tree.district.code}").get_data(as_text=True)
    assert _row_numbers(drill, "row-total")[0] == 8 and f"row-{tree.commune.code}" in drill
    # and the start page shows the same totals for the body
    home = client.get("/").get_data(as_text=True)
    assert 'id="fig-received">9<' in home and 'id="chart-total"' in home
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/stats" in spec["paths"]
    assert "Figures" in spec["components"]["schemas"]


def test_bad_input_on_api_and_web(tree, client, login, api_token):
    leader = tree.people["district_leader"]
    headers = {"Authorization": f"Bearer {api_token(leader.username)}"}
    cases = [("from=2026-05-01&to=2026-04-01", 400), ("from=31-31-2026", 400),
             ("to=abc", 400), ("org=999.99.99.Z99", 404),
             (f"org={tree.province.code}", 403), (f"org={tree.sibling.code}", 403)]
    for query, status in cases:
        answer = client.get(f"/api/v1/stats?{query}", headers=headers)
        assert answer.status_code == status, (query, answer.get_json())
        assert answer.get_json()["error"]["message"]
    assert client.get("/api/v1/stats").status_code == 401
    login(leader.username)
    for query, status in cases:
        page = client.get(f"/stats?{query}")
        assert page.status_code == status, query
        assert 'id="stats-error"' in page.get_data(as_text=True)


def _count_statements(app, fn):
    engine = db.engine
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)", statement):  # test isolation
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return len(seen)


def test_query_count_does_not_grow(app, tree, client, login, make_org):
    leader = tree.people["province_leader"]
    login(leader.username)
    code = tree.province.code  # read once: the test's own objects expire on each commit

    def pages():
        assert client.get("/").status_code == 200
        assert client.get(f"/stats?org={code}").status_code == 200

    def figures():
        stats.figures_for(province, stats.parse_period(None, None))

    pages()  # warm caches (templates, metadata)
    province = tree.province
    _ = province.name  # loaded before counting
    before_pages, before_figures = _count_statements(app, pages), _count_statements(app, figures)
    assert before_figures <= 4
    for n in range(4):  # more bodies, at more levels, and more documents everywhere
        district = make_org(tier="district", parent=tree.province, name=f"Huyện thêm {n}")
        make_org(tier="commune", parent=district, name=f"Xã thêm {n}")
        receive_paper(tree.people["province_clerk"], tree.province)
        receive_electronic(tree.district)
        receive_electronic(tree.commune)
    db.session.flush()
    assert _count_statements(app, pages) == before_pages
    _ = province.name
    assert _count_statements(app, figures) == before_figures
