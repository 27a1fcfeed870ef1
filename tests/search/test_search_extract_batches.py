"""Text extraction is queued once per transaction, in tasks of up to 20 documents."""

from __future__ import annotations

from typing import Any

import pytest

from eoffice.core.uow import unit_of_work


def test_a_transaction_queues_one_task_for_its_documents(app: Any, db_session: Any,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from eoffice.search import service, tasks

    one: list[tuple[str, int]] = []
    many: list[list[list[Any]]] = []
    monkeypatch.setattr(tasks.extract_text, "delay",
                        lambda kind, doc_id: one.append((kind, doc_id)))
    monkeypatch.setattr(tasks.extract_texts, "delay", many.append)
    with unit_of_work():
        service.queue_extraction("incoming", 7)
    assert one == [("incoming", 7)] and many == []
    with unit_of_work():
        for doc_id in range(45):
            service.queue_extraction("incoming", doc_id)
        service.queue_extraction("outgoing", 3)
    assert [len(items) for items in many] == [20, 20, 6]
    assert many[0][0] == ["incoming", 0] and many[2][-1] == ["outgoing", 3]
    assert one == [("incoming", 7)]


def test_a_failing_document_does_not_stop_the_others(app: Any, db_session: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from eoffice.search import service, tasks

    seen: list[int] = []

    def extract(kind: str, doc_id: int) -> str:
        seen.append(doc_id)
        if doc_id == 2:
            raise RuntimeError("unreadable")
        return "done"

    monkeypatch.setattr(service, "extract_document_text", extract)
    states = tasks.extract_texts.run([["incoming", 1], ["incoming", 2], ["outgoing", 3],
                                      ["letters", 4]])
    assert states == ["done", "error", "done", "missing"] and seen == [1, 2, 3]
