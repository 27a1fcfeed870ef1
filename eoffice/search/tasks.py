"""Thin Celery tasks over ``search.service`` (JSON arguments, idempotent)."""

from __future__ import annotations

from celery import shared_task

from eoffice.core.uow import unit_of_work
from eoffice.search import service


@shared_task(name="eoffice.search.extract_text")
def extract_text(kind: str, doc_id: int) -> str:
    """Read a document's PDF text into the search index (safe to run again)."""
    if kind not in ("incoming", "outgoing"):
        return "missing"
    with unit_of_work():
        return service.extract_document_text(kind, int(doc_id))
