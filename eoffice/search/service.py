"""Search services: run a search, saved searches, PDF text extraction and reindexing."""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

from eoffice.audit import service as audit
from eoffice.core.errors import BadRequest, NotFound
from eoffice.core.permissions import require
from eoffice.core.storage import file_store
from eoffice.core.uow import after_commit_batch
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument
from eoffice.outgoing.models import OutgoingDocument
from eoffice.search import engine, index
from eoffice.search import policy as _policy  # noqa: F401  (declares the search.* rules)
from eoffice.search.extract import UnreadablePdf, pdf_text
from eoffice.search.models import SavedSearch, SearchEntry

log = logging.getLogger(__name__)

MAX_SAVED = 50


def search(actor: Any, args: dict[str, Any]) -> engine.SearchResult:
    """Validate ``args`` (the ``/search`` parameters) and run the search for ``actor``."""
    require(actor, "search.run")
    return engine.run(actor, engine.parse_params(args))


# ---------------------------------------------------------------------------------------
# saved searches


def saved_searches(actor: Any) -> list[SavedSearch]:
    """The actor's saved searches, by name."""
    return list(db.session.execute(sa.select(SavedSearch).where(
        SavedSearch.user_id == actor.id).order_by(SavedSearch.name)).scalars())


def save_search(actor: Any, name: str, args: dict[str, Any]) -> SavedSearch:
    """Keep the (validated) parameters under ``name``; the same name replaces the old one."""
    require(actor, "search.run")
    name = " ".join((name or "").split())
    if not name:
        raise BadRequest("Chưa đặt tên cho tìm kiếm.", details={"field": "name"})
    if len(name) > 100:
        raise BadRequest("Tên tìm kiếm quá dài (tối đa 100 ký tự).", details={"field": "name"})
    params = engine.parse_params(args).raw
    row = db.session.execute(sa.select(SavedSearch).where(
        SavedSearch.user_id == actor.id, SavedSearch.name == name)).scalar_one_or_none()
    if row is None:
        count = db.session.execute(sa.select(sa.func.count()).select_from(SavedSearch).where(
            SavedSearch.user_id == actor.id)).scalar_one()
        if count >= MAX_SAVED:
            raise BadRequest("Đã lưu quá nhiều tìm kiếm (tối đa 50); hãy xóa bớt.",
                             details={"max": MAX_SAVED})
        row = SavedSearch(user_id=actor.id, name=name)
        db.session.add(row)
    row.params = json.dumps(params, ensure_ascii=False, sort_keys=True)
    db.session.flush()
    return row


def get_saved(actor: Any, saved_id: int) -> SavedSearch:
    """One of the actor's saved searches (404 for anyone else's)."""
    row = db.session.get(SavedSearch, saved_id)
    if row is None or row.user_id != actor.id:
        raise NotFound("Không tìm thấy tìm kiếm đã lưu.")
    return row


def saved_params(row: SavedSearch) -> dict[str, str]:
    """The stored parameters of a saved search."""
    try:
        params = json.loads(row.params or "{}")
    except ValueError:
        return {}
    return {str(k): str(v) for k, v in params.items()} if isinstance(params, dict) else {}


def run_saved(actor: Any, saved_id: int, *, page: int = 1,
              per_page: int = 20) -> engine.SearchResult:
    """Run a saved search again."""
    args: dict[str, Any] = {**saved_params(get_saved(actor, saved_id)), "page": page,
                            "per_page": per_page}
    return search(actor, args)


def delete_saved(actor: Any, saved_id: int) -> None:
    """Forget one of the actor's saved searches."""
    db.session.delete(get_saved(actor, saved_id))
    db.session.flush()


# ---------------------------------------------------------------------------------------
# PDF text


def queue_extraction(kind: str, doc_id: int) -> None:
    """Extract the document's PDF text once this transaction has committed (one task for
    the documents of a transaction: a poll registers a batch of packets at once)."""
    after_commit_batch("search.extract", (kind, doc_id), _queue_extractions)


EXTRACTIONS_PER_TASK = 20


def _queue_extractions(items: list[tuple[str, int]]) -> None:
    from eoffice.search.tasks import extract_text, extract_texts

    if len(items) == 1:
        extract_text.delay(*items[0])
        return
    for start in range(0, len(items), EXTRACTIONS_PER_TASK):
        extract_texts.delay([list(item) for item in items[start:start + EXTRACTIONS_PER_TASK]])


def _digests(kind: str, doc_id: int) -> list[str] | None:
    if kind == "incoming":
        incoming = db.session.get(IncomingDocument, doc_id)
        if incoming is None:
            return None
        return [f.digest for f in incoming.files
                if f.kind == "document" and f.content_type == "application/pdf"]
    outgoing = db.session.get(OutgoingDocument, doc_id)
    if outgoing is None:
        return None
    return [outgoing.current_digest, *(a.sealed_digest or a.digest
                                       for a in outgoing.attachments)]


def extract_document_text(kind: str, doc_id: int) -> str:
    """Read the text of the document's PDFs into its entry; returns the content state
    (``done``, ``none``, ``failed``, or ``missing`` for an unknown document)."""
    digests = _digests(kind, doc_id)
    if digests is None:
        return "missing"
    store = file_store()
    texts: list[str] = []
    failed = False
    for digest in digests:
        try:
            texts.append(pdf_text(store.get(digest)))
        except (UnreadablePdf, FileNotFoundError, OSError):
            log.warning("no text from %s %s (%s)", kind, doc_id, digest)
            failed = True
    text = "\n".join(t for t in texts if t.strip())
    state = "done" if text.strip() else ("failed" if failed else "none")
    conn = db.session.connection()
    if not index.set_content(conn, kind, doc_id, text, state):
        # the entry is missing (data from before the index): create it, then add the text
        sync_document(kind, doc_id)
        index.set_content(conn, kind, doc_id, text, state)
    return state


def sync_document(kind: str, doc_id: int) -> bool:
    """Write the entry of one document from its current row."""
    conn = db.session.connection()
    if kind == "incoming":
        incoming = db.session.get(IncomingDocument, doc_id)
        if incoming is None:
            return False
        index.upsert(conn, index.incoming_values(incoming))
        return True
    outgoing = db.session.get(OutgoingDocument, doc_id)
    if outgoing is None:
        return False
    index.upsert(conn, index.outgoing_values(conn, outgoing))
    return True


def reindex_ids(kind: str, after: int = 0, *, batch: int = 200) -> list[int]:
    """The next ``batch`` document ids of ``kind`` after ``after`` (for reindexing)."""
    model = IncomingDocument if kind == "incoming" else OutgoingDocument
    return list(db.session.execute(sa.select(model.id).where(model.id > after)
                                   .order_by(model.id).limit(batch)).scalars())


def reindex_batch(kind: str, ids: list[int], *, with_text: bool = True,
                  redo_text: bool = False) -> int:
    """Rewrite the entries of ``ids``; with ``with_text``, also read the PDF text of
    those that have none yet (all of them with ``redo_text``). Returns texts read."""
    for doc_id in ids:
        sync_document(kind, doc_id)
    if not with_text:
        return 0
    stmt = sa.select(SearchEntry.doc_id).where(SearchEntry.kind == kind,
                                               SearchEntry.doc_id.in_(ids))
    if not redo_text:
        stmt = stmt.where(SearchEntry.content_state == "pending")
    pending = db.session.execute(stmt).scalars().all()
    for doc_id in pending:
        extract_document_text(kind, doc_id)
    return len(pending)


def remove_orphans(kind: str) -> int:
    """Drop entries whose document no longer exists."""
    model = IncomingDocument if kind == "incoming" else OutgoingDocument
    result = db.session.execute(sa.delete(SearchEntry).where(
        SearchEntry.kind == kind, SearchEntry.doc_id.not_in(sa.select(model.id))))
    return int(result.rowcount or 0)


def record_reindex(counts: dict[str, int]) -> None:
    """Audit a finished reindex."""
    audit.record(None, "search.reindexed", None, details=counts)
