"""The whole journey of a directive, as people do it, in a real browser (issue 7 item 6).

Province: ``chuyenvien.tinh`` drafts a Chỉ thị to the 15 district-level bodies and submits
it, ``lanhdao.tinh`` approves and signs it with the PIN, ``vanthu.tinh`` issues it. The
worker's part (delivery to the in-process hub and polling it) runs between the clicks.
TP Rạch Giá: ``vanthu.rachgia`` sees the green verdict, registers it and forwards it to the
city's wards as its sao y; ``lanhdao.rachgia`` assigns it to ``chuyenvien.rachgia``, who
completes it. A ward's clerk (``vanthu.xa``) receives the copy, sees both the province and
the city, and every signature in its file is valid in pdfsig. The province then sees
"Đã hoàn thành" for Rạch Giá on the directive's page, finds the directive by searching
without diacritics and downloads its outgoing register.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from browser_steps import compose_directive, off_the_event_loop, run_worker, sign_in, sign_out
from helpers import pdfsig, serving_pki
from openpyxl import load_workbook

from eoffice.incoming import service as incoming
from signing.copy import original_of

pytestmark = pytest.mark.browser

SUBJECT = "Về triển khai chuyển đổi số trong cơ quan hành chính năm 2027"
RACHGIA = "000.00.30.H33"


def _pdfsig_copy(copy_pdf: bytes, workdir: Path) -> dict[str, str]:
    """pdfsig on the received copy and on the original it carries, the dev PKI served."""
    from flask import current_app

    from eoffice.documents.keys import get_pki

    with serving_pki(get_pki(), current_app.config["PUBLIC_URL"]):
        return pdfsig(workdir, get_pki().root_pem(),
                      {"copy.pdf": copy_pdf, "original.pdf": original_of(copy_pdf)})


def flash(page: Any) -> str:
    page.wait_for_selector(".flash")
    return page.inner_text(".flash")


def test_directive_drafted_signed_issued_registered_assigned_completed(
        page: Any, live_server: str, live_hub: Any, tmp_path: Path) -> None:
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
    # ... and forwards it to all of the city's wards and communes as its sao y
    page.check("#forward-all")
    page.click("#forward-form button[type=submit]")
    assert "SY-UBND" in flash(page)
    copy_code = page.locator("#forwarded-copies tbody tr a").first.inner_text()
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

    run_worker(live_hub)  # the copies go down; the statuses 03, 04, 06 go back up

    # a ward's clerk receives the copy: the province as the original issuer, the city as
    # the copying body, and every signature in the file valid in pdfsig
    sign_in(page, base, "vanthu.xa")
    page.click(".mainnav >> text=Văn bản đến")
    page.locator("tr", has_text=SUBJECT).locator("a").first.click()
    assert "verdict-ok" in (page.locator("#verdict").get_attribute("class") or "")
    assert "000.00.00.H33" in page.inner_text("#copy-original")
    forwarder = page.inner_text("#copy-forwarder")
    assert RACHGIA in forwarder and copy_code in forwarder
    pdf_url = page.locator("a", has_text="Xem văn bản (PDF)").get_attribute("href")
    copy_pdf = page.request.get(f"{base}{pdf_url}").body()
    sign_out(page)
    outputs = off_the_event_loop(live_hub, lambda: _pdfsig_copy(copy_pdf, tmp_path))
    assert outputs["copy.pdf"].count("Signature Validation: Signature is Valid.") == 1
    assert outputs["copy.pdf"].count("Certificate Validation: Certificate is Trusted.") == 1
    assert outputs["original.pdf"].count("Signature Validation: Signature is Valid.") == 2
    assert outputs["original.pdf"].count("Certificate Validation: Certificate is Trusted.") == 2

    # the province sees "hoàn thành" for Rạch Giá, and only the receipt for the others
    sign_in(page, base, "vanthu.tinh")
    page.goto(f"{base}/outgoing/{doc_id}")
    rachgia = page.locator(f"#recipients tr[data-code='{RACHGIA}'] .badge")
    assert rachgia.inner_text() == "Đã hoàn thành"
    others = page.locator(f"#recipients tbody tr:not([data-code='{RACHGIA}']) .badge")
    assert set(others.all_inner_texts()) == {"Đã đến"}

    # ... finds it again typing as officials do, without diacritics ...
    page.click(".mainnav >> text=Tìm kiếm")
    page.fill("input[name=q]", "trien khai CHUYEN DOI SO hanh chinh")
    page.click("form[role=search] button[type=submit]")
    hit = page.locator(".search-results tbody tr", has_text=SUBJECT)
    assert hit.count() == 1
    assert hit.locator("a").get_attribute("href") == f"/outgoing/{doc_id}"

    # ... and downloads the outgoing register (sổ đăng ký văn bản đi) with the directive
    page.click(".mainnav >> text=Sổ & báo cáo")
    page.select_option("#kind", "outgoing_register")
    page.select_option("#format", "xlsx")
    with page.expect_download() as download:
        page.click("#report-form button[type=submit]")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".xlsx"
    sheet = load_workbook(saved, read_only=True).active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert any(SUBJECT in c for c in cells)
    assert "Sổ đăng ký văn bản đi".upper() in " ".join(cells).upper()
