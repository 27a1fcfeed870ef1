"""The start page in a real browser: Chart.js (served locally) draws the figures, the
unread badge shows, and the province drills down to a district's communes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str, password: str = "demo12345") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click(".login button[type=submit]")


@pytest.fixture
def noticed(live_app):
    """Two unread notifications for the province's leader."""
    from eoffice.auth.models import User
    from eoffice.core.uow import unit_of_work
    from eoffice.extensions import db
    from eoffice.notifications.service import notify

    with live_app.app_context():
        with unit_of_work():
            leader = db.session.execute(sa.select(User).where(
                User.username == "lanhdao.tinh")).scalar_one()
            notify(leader, "test", "Thông báo thử một", "/")
            notify(leader, "test", "Thông báo thử hai", "/")
    return "lanhdao.tinh"


def test_dashboard_chart_badge_and_drill_down(browser, live_server, noticed):
    context = browser.new_context(locale="vi-VN")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in(page, live_server, noticed)
        page.wait_for_selector("#chart-bodies")
        assert page.inner_text("#unread-badge") == "2"
        drawn = page.evaluate("""() => {
            const chart = Chart.getChart(document.getElementById('chart-bodies'));
            const canvas = document.getElementById('chart-bodies');
            return chart !== undefined && canvas.width > 0 && canvas.height > 0
                && chart.data.labels.length > 1;
        }""")
        assert drawn, "Chart.js did not draw the figures"
        assert page.evaluate("Chart.getChart(document.getElementById('chart-total')) !== undefined")
        page.click("#stats-link")
        page.wait_for_selector("#figures-table")
        page.click("#figures-table >> text=Ủy ban nhân dân thành phố Rạch Giá")
        page.wait_for_selector("#crumbs")
        assert "Ủy ban nhân dân phường Vĩnh Thanh Vân" in page.inner_text("#figures-table")
        assert page.evaluate(
            "Chart.getChart(document.getElementById('chart-bodies')) !== undefined")
        page.click("#notification-bell")
        page.wait_for_selector("#notifications")
        assert "Thông báo thử hai" in page.inner_text("#notifications")
        page.click("#read-all button")
        page.wait_for_selector(".flash-success")
        assert page.query_selector("#unread-badge") is None
        assert errors == []
    finally:
        context.close()


def test_dashboard_fits_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "lanhdao.rachgia")
        page.wait_for_selector("#chart-bodies")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
