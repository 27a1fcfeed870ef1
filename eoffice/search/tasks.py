"""Thin Celery tasks over ``search.service`` (JSON arguments, idempotent)."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task

from eoffice.core.uow import unit_of_work
from eoffice.search import service

log = logging.getLogger(__name__)


@shared_task(name="eoffice.search.extract_text")
def extract_text(kind: str, doc_id: int) -> str:
    """Read a document's PDF text into the search index (safe to run again)."""
    if kind not in ("incoming", "outgoing"):
        return "missing"
    with unit_of_work():
        return service.extract_document_text(kind, int(doc_id))


@shared_task(name="eoffice.search.extract_texts")
def extract_texts(items: list[list[Any]]) -> list[str]:
    """``extract_text`` for several ``[kind, id]``, one transaction each: a document
    that fails neither undoes nor stops the others."""
    states = []
    for kind, doc_id in items:
        try:
            states.append(extract_text.run(str(kind), int(doc_id)))
        except Exception:  # logged; the others go on (each is safe to run again)
            log.exception("search: text of %s %s not extracted", kind, doc_id)
            states.append("error")
    return states
