"""Fixtures for the tiers tests: the demo province with an in-process hub, and helpers to
issue a directive from the province and move packets through the hub."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from tiers_helpers import demo_user

from eoffice.core.uow import unit_of_work


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
