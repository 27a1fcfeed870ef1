"""Issue 5 in a real browser: a province directive to all 15 districts.

``chuyenvien.tinh`` composes a Chỉ thị, picks every district body with "Chọn tất cả cấp
huyện" and submits it; ``lanhdao.tinh`` opens "Chờ ký", approves the submitted draft
listed there, looks at the preview and signs with the PIN; ``vanthu.tinh`` issues it
from "Chờ ban hành". The live app then talks to an in-process hub (the demo directory of
every body): the outbox rows are delivered and the issued record shows the number and 15
recipients "sent".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from browser_steps import compose_directive, sign_in, sign_out

from eoffice.demo import DISTRICTS

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SUBJECT = "Về tăng cường kỷ luật, kỷ cương hành chính năm 2026"
PHONE = {"width": 390, "height": 844}


def no_horizontal_overflow(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def preview_loaded(page: Any) -> bool:
    """Whether page 1 of the preview is loaded as a real page image (595 px wide)."""
    page.wait_for_function("() => document.querySelector('#page0 img').complete")
    return bool(page.evaluate(
        "() => { const i = document.querySelector('#page0 img');"
        " return i.complete && i.naturalWidth > 500; }"))


def test_directive_from_specialist_through_leader_and_clerk_to_15_districts(
        browser: Any, page: Any, live_server: str, live_hub: Any) -> None:
    from eoffice.interop import service as interop

    base = live_server
    # the specialist: compose, select every district at once, submit
    sign_in(page, base, "chuyenvien.tinh")
    boxes = page.locator("input[name=recipients][data-tier=district]")
    page.goto(f"{base}/outgoing/new")
    assert boxes.count() == 15
    doc_id = compose_directive(page, base, SUBJECT, shot="outgoing-new-directive.png")
    assert page.inner_text("#doc-status") == "Dự thảo"
    assert preview_loaded(page)
    page.click("button:has-text('Trình duyệt')")
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#doc-status") == "Đang trình duyệt"
    sign_out(page)

    # the leader: approve, then "Chờ ký", the preview, PIN, sign
    sign_in(page, base, "lanhdao.tinh")
    page.click(".mainnav >> text=Văn bản đi")
    page.click(".tabs >> text=Chờ ký")
    assert "Không có văn bản nào chờ ký." in page.inner_text("#batch-sign")
    page.click(f"#to-review a[href='/outgoing/{doc_id}']")  # submitted: approve it first
    page.click("button:has-text('Duyệt')")
    page.wait_for_selector(".flash-success")
    assert page.inner_text("#doc-status") == "Đã duyệt, chờ ký"
    page.click(".tabs >> text=Chờ ký")
    assert SUBJECT in page.inner_text("#batch-sign")
    page.click(f"#batch-sign a[href='/outgoing/{doc_id}']")
    assert preview_loaded(page)
    assert page.locator(".box-leader").count() == 1  # where the signature will go
    page.fill("#pin", "123456")
    page.click("#sign-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert "Đã ký số văn bản." in page.inner_text(".flash-success")
    assert page.inner_text("#doc-status") == "Đã ký, chờ ban hành"
    sign_out(page)

    # the clerk: "Chờ ban hành", issue
    sign_in(page, base, "vanthu.tinh")
    page.click(".mainnav >> text=Văn bản đi")
    assert "Có 1 văn bản đã ký chờ ban hành." in page.inner_text(".flash-info")
    page.click(".tabs >> text=Chờ ban hành")
    row = page.locator("tr", has_text=SUBJECT)
    row.locator("button:has-text('Ban hành')").click()
    page.wait_for_selector(".flash-success")
    assert "Đã ban hành văn bản" in page.inner_text(".flash-success")
    heading = page.inner_text("h1")
    match = re.fullmatch(r"Chỉ thị số (\d{2})/CT-UBND", heading)
    assert match, heading
    code = f"{match.group(1)}/CT-UBND"
    rows = page.locator("#recipients tbody tr")
    assert rows.count() == 15
    assert {rows.nth(i).get_attribute("data-code") for i in range(15)} == {
        f"000.00.{30 + i}.H33" for i in range(len(DISTRICTS))}
    assert set(page.locator("#recipients .badge").all_inner_texts()) == {"Đang chờ gửi"}

    # the outbox is delivered to the hub (the worker's job), then the page is reloaded
    with live_hub.app_context():
        due = [i for i in interop.due_messages()  # other modules' packets stay queued
               if (m := interop.get_outbox_message(i)).source_type == "outgoing"
               and m.source_id == doc_id]
        assert len(due) == 15
        assert {interop.deliver(message_id) for message_id in due} == {"sent"}
    page.reload()
    assert set(page.locator("#recipients .badge").all_inner_texts()) == {"Đã gửi lên trục"}
    assert page.inner_text("#doc-status") == "Đã gửi"
    assert preview_loaded(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#page0 img").screenshot(path=str(ARTIFACTS / "outgoing-issued-preview.png"))
    listing = page.goto(f"{base}/outgoing/")
    assert listing is not None and listing.ok
    assert code in page.inner_text("table")
    # one badge per delivery state with its count (the names in its tooltip)
    row = page.locator("tr", has_text=SUBJECT)
    assert row.locator("td.delivery .badge").all_inner_texts() == ["Đã gửi lên trục: 15"]

    # the same record through the API: 15 recipients "sent"
    token = page.request.post(f"{base}/api/v1/auth/token",
                              data={"username": "vanthu.tinh", "password": "demo12345"})
    assert token.ok, token.text()
    record = page.request.get(f"{base}/api/v1/outgoing/{doc_id}", headers={
        "Authorization": f"Bearer {token.json()['token']}"}).json()
    assert f"{record['number']}/{record['notation']}" == code
    assert len(record["recipients"]) == 15
    assert {r["status"] for r in record["recipients"]} == {"sent"}
    assert all(r["updated_at"] for r in record["recipients"])


def test_draft_pages_fit_a_phone(browser: Any, live_server: str) -> None:
    context = browser.new_context(viewport=PHONE, locale="vi-VN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "chuyenvien.tinh")
        page.goto(f"{live_server}/outgoing/new")
        assert no_horizontal_overflow(page) <= PHONE["width"]
        doc_id = compose_directive(page, live_server, subject="Về công tác phòng, chống "
                                   "thiên tai, tìm kiếm cứu nạn trên địa bàn tỉnh năm 2026",
                                   shot="outgoing-new-phone.png")
        assert preview_loaded(page)
        assert no_horizontal_overflow(page) <= PHONE["width"]
        assert page.is_visible("button:has-text('Trình duyệt')")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "outgoing-draft-phone.png"), full_page=True)
        page.goto(f"{live_server}/outgoing/drafts")
        assert page.is_visible(f"a[href='/outgoing/{doc_id}']")
        assert no_horizontal_overflow(page) <= PHONE["width"]
        # the subject stays readable: not squeezed to a word per line
        subject = page.locator("td.subject-cell").first.bounding_box()
        assert subject is not None and subject["width"] >= 150
        page.screenshot(path=str(ARTIFACTS / "outgoing-drafts-phone.png"), full_page=True)
    finally:
        context.close()
