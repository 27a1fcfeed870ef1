"""Steps the browser tests share: signing in and out, and running the system's background
work (delivery, polling) the way the worker would."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
PASSWORD = "demo12345"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
BODY = ("Để chấn chỉnh kỷ luật, kỷ cương hành chính, Chủ tịch Ủy ban nhân dân tỉnh chỉ thị:\n"
        "1. Thủ trưởng các cơ quan, đơn vị quán triệt, thực hiện nghiêm Chỉ thị này.\n"
        "2. Báo cáo kết quả thực hiện về Văn phòng Ủy ban nhân dân tỉnh trước ngày 15/12.")


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click(".login button[type=submit]")
    page.wait_for_selector(".who-name")


def sign_out(page: Any) -> None:
    page.click("text=Đăng xuất")
    page.wait_for_selector("#username")


def off_the_event_loop(app: Any, work: Callable[[], T]) -> T:
    """Run ``work`` in an app context on a thread of its own.

    Playwright's sync API keeps an event loop running in the test's thread, and the
    synchronous signing and validation code (pyHanko) refuses to run inside one."""

    def run() -> T:
        from eoffice.extensions import db

        with app.app_context():
            try:
                return work()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()


def run_worker(app: Any) -> dict[str, int]:
    """What the Celery worker does between two clicks: deliver every due packet to the
    hub, then poll the hub for what arrived (one installation serves the whole demo)."""
    from eoffice.interop import service as interop

    def work() -> dict[str, int]:
        sent = sum(interop.deliver(i) == "sent" for i in interop.due_messages(limit=1000))
        return {"sent": sent, **interop.poll()}

    return off_the_event_loop(app, work)


def compose_directive(page: Any, base: str, subject: str, shot: str = "") -> int:
    """Fill the new-draft form as the specialist; return the new draft's id."""
    page.goto(f"{base}/outgoing/new")
    page.select_option("#doc_type", "CT")
    page.select_option("#signer", "lanhdao.tinh")
    page.fill("#subject", subject)
    page.check("#all-district")
    assert page.inner_text("#recipients-count") == "(đã chọn 15 cơ quan)"
    page.fill("#body", BODY)
    if shot:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    page.click("button:has-text('Lưu dự thảo')")
    page.wait_for_selector(".flash-success")
    assert "Đã tạo dự thảo." in page.inner_text(".flash-success")
    match = re.search(r"/outgoing/(\d+)$", page.url)
    assert match, page.url
    return int(match.group(1))
