"""The daily pages fit a phone (390×844): no page-wide horizontal scrolling; wide tables
scroll inside their own wrapper."""

from __future__ import annotations

from typing import Any

import pytest
from browser_steps import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PAGES = ["/", "/search?q=cai+cach", "/reports", "/verify", "/notifications",
         "/incoming/to-inform", "/stats", "/incoming/", "/outgoing/"]


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone(browser: Any, live_server: str, path: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "vanthu.tinh")
        response = page.goto(f"{live_server}{path}")
        assert response is not None and response.ok, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            ARTIFACTS.mkdir(exist_ok=True)
            name = path.strip("/").replace("/", "-").split("?")[0] or "home"
            page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
        assert width <= PHONE["width"], (path, width)
    finally:
        context.close()
