"""Every demo account signs in through a real browser; the layout fits a phone."""

from __future__ import annotations

import pytest

from eoffice.demo import ACCOUNTS

pytestmark = pytest.mark.browser


def sign_in(page, base: str, username: str, password: str = "demo12345") -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click(".login button[type=submit]")


@pytest.mark.parametrize("account", ACCOUNTS, ids=[a[0] for a in ACCOUNTS])
def test_each_demo_account_signs_in(page, live_server, account):
    username, full_name, _title, _code, _unit, roles, _cccd = account
    sign_in(page, live_server, username)
    page.wait_for_selector(".who-name")
    assert page.inner_text(".who-name") == full_name
    assert f"Xin chào, {full_name}" in page.inner_text("h1")
    nav = page.inner_text(".mainnav")
    assert ("Quản trị" in nav) == ("admin" in roles)
    page.click("text=Đăng xuất")
    page.wait_for_selector("#username")


def test_wrong_password_message_in_browser(page, live_server):
    sign_in(page, live_server, "vanthu.tinh", "sai-mat-khau")
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page.inner_text(".flash")


def test_admin_tree_on_a_phone(browser, live_server, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "admin")
        page.goto(f"{live_server}/admin/orgs")
        assert "Ủy ban nhân dân phường Vĩnh Thanh Vân" in page.inner_text("table")
        # nothing overflows the phone's width except the scrollable table wrapper
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
        page.click("label.navbutton")
        assert page.is_visible(".mainnav >> text=Quản trị")
        page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    finally:
        context.close()
