"""The whole journey of a directive, as people do it, in a real browser (issue 7 item 6).

Province: ``chuyenvien.tinh`` drafts a Chỉ thị to the 15 district-level bodies and submits
it, ``lanhdao.tinh`` approves and signs it with the PIN, ``vanthu.tinh`` issues it. The
worker's part (delivery to the in-process hub and polling it) runs between the clicks.
TP Rạch Giá: ``vanthu.rachgia`` sees the green verdict and registers it, ``lanhdao.rachgia``
assigns it to ``chuyenvien.rachgia``, who completes it. The province then sees
"Đã hoàn thành" for Rạch Giá on the directive's page.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from browser_steps import compose_directive, run_worker, sign_in, sign_out

from eoffice.incoming import service as incoming

pytestmark = pytest.mark.browser

SUBJECT = "Về triển khai chuyển đổi số trong cơ quan hành chính năm 2027"
RACHGIA = "000.00.30.H33"


def flash(page: Any) -> str:
    page.wait_for_selector(".flash")
    return page.inner_text(".flash")


def test_directive_drafted_signed_issued_registered_assigned_completed(
        page: Any, live_server: str, live_hub: Any) -> None:
    base = live_server

    # the province's specialist drafts and submits
    sign_in(page, base, "chuyenvien.tinh")
    doc_id = compose_directive(page, base, SUBJECT)
    page.click("button:has-text('Trình duyệt')")
    assert "Đang trình duyệt" in page.inner_text("#doc-status")
    sign_out(page)

    # the leader approves and signs with the PIN
    sign_in(page, base, "lanhdao.tinh")
    page.goto(f"{base}/outgoing/{doc_id}")
    page.click("button:has-text('Duyệt')")
    page.wait_for_selector(".flash-success")
    page.fill("#pin", "123456")
    page.click("#sign-form button[type=submit]")
    assert "Đã ký số văn bản." in flash(page)
    sign_out(page)

    # the clerk issues: number, date, the body's signature, dispatch
    sign_in(page, base, "vanthu.tinh")
    page.goto(f"{base}/outgoing/{doc_id}")
    page.click("button:has-text('Ban hành')")
    assert "Đã ban hành văn bản" in flash(page)
    heading = page.inner_text("h1")
    match = re.fullmatch(r"Chỉ thị số (\d{2})/CT-UBND", heading)
    assert match, heading
    sign_out(page)

    worked = run_worker(live_hub)  # delivered to the hub, then received by the districts
    assert worked["sent"] >= 15

    # TP Rạch Giá's clerk: the green verdict, then the register
    sign_in(page, base, "vanthu.rachgia")
    page.click(".mainnav >> text=Văn bản đến")
    page.locator("tr", has_text=SUBJECT).locator("a").first.click()
    incoming_url = page.url
    verdict = page.locator("#verdict")
    assert "verdict-ok" in (verdict.get_attribute("class") or "")
    assert "Văn bản hợp lệ" in verdict.inner_text()
    page.click("#form-register button[type=submit]")
    assert "Đã vào sổ văn bản đến" in flash(page)
    sign_out(page)

    # the city's leader assigns it
    sign_in(page, base, "lanhdao.rachgia")
    page.goto(incoming_url)
    page.fill("#assign-directive", "Giao Văn phòng chủ trì triển khai chuyển đổi số.")
    page.select_option("#assign-lead", "chuyenvien.rachgia")
    page.fill("#assign-deadline", (incoming.today() + timedelta(days=7)).isoformat())
    page.click("#form-assign button[type=submit]")
    assert "Đã phân công xử lý" in flash(page)
    sign_out(page)

    # the city's specialist completes it
    sign_in(page, base, "chuyenvien.rachgia")
    page.goto(incoming_url)
    page.fill("#complete-result", "Đã ban hành Kế hoạch chuyển đổi số của thành phố.")
    page.click("#form-complete button[type=submit]")
    assert "Đã hoàn thành xử lý văn bản" in flash(page)
    sign_out(page)

    run_worker(live_hub)  # the statuses 03, 04, 06 travel back to the province

    # the province sees "hoàn thành" for Rạch Giá, and only the receipt for the others
    sign_in(page, base, "vanthu.tinh")
    page.goto(f"{base}/outgoing/{doc_id}")
    rachgia = page.locator(f"#recipients tr[data-code='{RACHGIA}'] .badge")
    assert rachgia.inner_text() == "Đã hoàn thành"
    others = page.locator(f"#recipients tbody tr:not([data-code='{RACHGIA}']) .badge")
    assert set(others.all_inner_texts()) == {"Đã đến"}
