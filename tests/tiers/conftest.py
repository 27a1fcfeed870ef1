"""Fixtures for the tiers tests: the demo province with an in-process hub, and helpers to
issue a directive from the province and move packets through the hub."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from tiers_helpers import demo_user
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.wrappers import Response

from eoffice.core.uow import unit_of_work


@pytest.fixture
def demo_hub(app: Any, db_session: Any, tmp_path: Any) -> Iterator[None]:
    """The demo data and a hub of this test's own, reached over WSGI."""
    from eoffice.demo import seed_demo
    from eoffice.hub import create_hub_app
    from eoffice.interop.demo import prepare_demo_hub

    with unit_of_work():
        seed_demo(force=True)
    saved = dict(app.config)
    saved_instance = app.instance_path
    app.config["HUB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'hub.db'}"
    app.instance_path = str(tmp_path)  # credentials file of this test's hub
    prepare_demo_hub(app)
    hub_app = create_hub_app({"HUB_DATABASE_URL": app.config["HUB_DATABASE_URL"]})
    app.extensions["hub_transport"] = httpx.WSGITransport(
        app=DispatcherMiddleware(Response(status=404), {"/hub": hub_app}))
    yield
    app.extensions.pop("hub_transport")
    app.instance_path = saved_instance
    app.config.clear()
    app.config.update(saved)
    hub_app.extensions["hub"].engine.dispose()


@pytest.fixture
def hub_round() -> Callable[[], int]:
    """Deliver every due outbox row, then poll the hub once; returns the rows sent."""
    from eoffice.interop import service as interop

    def run() -> int:
        count = 0
        for message_id in interop.due_messages(limit=1000):
            assert interop.deliver(message_id) == "sent"
            count += 1
        interop.poll()
        return count

    return run


@pytest.fixture
def issue_directive() -> Callable[..., Any]:
    """The province drafts, signs and issues a directive to ``recipients``."""
    from eoffice.outgoing import service as outgoing

    def issue(recipients: list[str], subject: str = "Về đẩy mạnh cải cách hành chính năm 2026"
              ) -> Any:
        with unit_of_work():
            draft = outgoing.create_draft(
                demo_user("chuyenvien.tinh"), doc_type="CT", subject=subject,
                recipients=recipients, signer="lanhdao.tinh", urgency="khan",
                body="Chủ tịch Ủy ban nhân dân tỉnh chỉ thị các địa phương triển khai "
                     "và báo cáo kết quả thực hiện.")
            doc_id = draft.id
        for step, who, kwargs in (("submit", "chuyenvien.tinh", {}),
                                  ("approve", "lanhdao.tinh", {}),
                                  ("sign", "lanhdao.tinh", {"pin": "123456"}),
                                  ("issue", "vanthu.tinh", {})):
            with unit_of_work():
                getattr(outgoing, step)(demo_user(who), outgoing.get_document(doc_id), **kwargs)
        return outgoing.get_document(doc_id)

    return issue
