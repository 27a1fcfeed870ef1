"""Keeping ``search_entries`` in step with the documents.

One ``after_flush`` listener (registered by ``create_app``) sees every new incoming or
outgoing document and every change of a searched or filtered field, whichever service
made it, and upserts the document's entry on the flushing connection — inside the same
transaction, so a rollback drops the entry with the change. The PDF text is written
separately by :func:`set_content` (the extraction task). On SQLite the FTS5 triggers
follow the entry; on PostgreSQL the upsert recomputes ``tsv``.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from eoffice.auth.models import User
from eoffice.core.db import utcnow
from eoffice.documents.models import DocumentType
from eoffice.incoming.models import IncomingDocument
from eoffice.orgs.models import Organization
from eoffice.outgoing.models import OutgoingDocument
from eoffice.search.models import SearchEntry
from eoffice.search.text import fold, index_text

URGENCY_LEVELS = {"": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}
INCOMING_FIELDS = ("status", "subject", "number", "notation", "issuer_code", "issuer_name",
                   "signer_name", "type_name", "priority", "issued_date", "received_at",
                   "org_id")
OUTGOING_FIELDS = ("status", "subject", "number_text", "notation", "signer_id",
                   "document_type_id", "urgency", "issued_on", "created_at", "org_id")
MAX_CONTENT_CHARS = 200_000

_entries = SearchEntry.__table__


def _day(value: Any) -> date:
    return value.date() if hasattr(value, "date") else value


def incoming_values(doc: IncomingDocument) -> dict[str, Any]:
    """The entry of an incoming document."""
    when = doc.issued_date or _day(doc.received_at) or date.today()
    return {"kind": "incoming", "doc_id": doc.id, "org_id": doc.org_id,
            "issuer_code": (doc.issuer_code or "")[:35], "type_key": fold(doc.type_name)[:100],
            "status": doc.status, "urgency": doc.priority or 0, "doc_date": when,
            "code": doc.code[:50], "subject": doc.subject or "",
            "issuer_name": doc.issuer_name or "", "signer_name": doc.signer_name or "",
            "type_name": doc.type_name or "",
            "title_text": index_text(doc.code, doc.subject),
            "people_text": index_text(doc.issuer_name, doc.issuer_code, doc.signer_name,
                                      doc.type_name)}


def outgoing_values(conn: sa.Connection, doc: OutgoingDocument) -> dict[str, Any]:
    """The entry of an outgoing document (its body is the issuer)."""
    org = conn.execute(sa.select(Organization.code, Organization.name)
                       .where(Organization.id == doc.org_id)).one()
    type_name = conn.execute(sa.select(DocumentType.name).where(
        DocumentType.id == doc.document_type_id)).scalar() or ""
    signer = conn.execute(sa.select(User.full_name).where(User.id == doc.signer_id)
                          ).scalar() or ""
    when = doc.issued_on or _day(doc.created_at) or date.today()
    return {"kind": "outgoing", "doc_id": doc.id, "org_id": doc.org_id,
            "issuer_code": (org.code or "")[:35], "type_key": fold(type_name)[:100],
            "status": doc.status, "urgency": URGENCY_LEVELS.get(doc.urgency or "", 0),
            "doc_date": when, "code": doc.code[:50], "subject": doc.subject or "",
            "issuer_name": org.name or "", "signer_name": signer, "type_name": type_name,
            "title_text": index_text(doc.code, doc.subject),
            "people_text": index_text(org.name, org.code, signer, type_name)}


def upsert(conn: sa.Connection, values: dict[str, Any]) -> None:
    """Insert or update one entry (the PDF text, if any, is kept): one statement.

    ``INSERT … ON CONFLICT (kind, doc_id) DO UPDATE`` on both databases; on SQLite the
    FTS5 triggers see the insert or the update, on PostgreSQL ``tsv`` is computed from the
    new texts (and, for an update, the stored PDF text).
    """
    row = dict(values, updated_at=utcnow())
    conn.execute(_upsert_statement(conn.dialect.name, tuple(row)), row)


# to_tsvector of the three folded texts, weighted A (title), B (people), C (PDF text): the
# one definition of the entry's tsvector (upsert and set_content; PostgreSQL only)
_TSV_SQL = ("setweight(to_tsvector('simple'::regconfig, coalesce({0}, '')), 'A') || "
            "setweight(to_tsvector('simple'::regconfig, coalesce({1}, '')), 'B') || "
            "setweight(to_tsvector('simple'::regconfig, coalesce({2}, '')), 'C')")


@functools.cache
def _upsert_statement(dialect: str, names: tuple[str, ...]) -> sa.TextClause:
    """The upsert as text, built once per dialect (SQLAlchemy compiles a dialect
    ``insert()`` anew on every call; a text statement once)."""
    unknown = set(names) - set(_entries.c.keys())
    if unknown:  # only the table's own column names ever reach the SQL text
        raise ValueError(f"not columns of search_entries: {sorted(unknown)}")
    columns = [*names, "content_text", "content_state"]
    values = [":" + name for name in names] + ["''", "'pending'"]
    updates = [f"{name} = excluded.{name}" for name in names if name not in ("kind", "doc_id")]
    if dialect == "postgresql":
        columns.append("tsv")
        values.append(_TSV_SQL.format(":title_text", ":people_text", "''"))
        updates.append("tsv = " + _TSV_SQL.format("excluded.title_text", "excluded.people_text",
                                                  "search_entries.content_text"))
    sql = (f"INSERT INTO search_entries ({', '.join(columns)}) "  # noqa: S608 (checked names)
           f"VALUES ({', '.join(values)}) "
           f"ON CONFLICT (kind, doc_id) DO UPDATE SET {', '.join(updates)}")
    return sa.text(sql).bindparams(
        *(sa.bindparam(name, type_=_entries.c[name].type) for name in names))


def set_content(conn: sa.Connection, kind: str, doc_id: int, text: str, state: str) -> bool:
    """Store the folded PDF text of a document; ``False`` if it has no entry."""
    folded = index_text(text)[:MAX_CONTENT_CHARS]
    result = conn.execute(_set_content_statement(conn.dialect.name), {
        "content_text": folded, "content_state": state, "updated_at": utcnow(),
        "kind": kind, "doc_id": doc_id})
    return bool(result.rowcount)


@functools.cache
def _set_content_statement(dialect: str) -> sa.TextClause:
    sets = "content_text = :content_text, content_state = :content_state, updated_at = :updated_at"
    if dialect == "postgresql":
        sets += ", tsv = " + _TSV_SQL.format("title_text", "people_text", ":content_text")
    return sa.text(f"UPDATE search_entries SET {sets} "  # noqa: S608 (no input in the text)
                   "WHERE kind = :kind AND doc_id = :doc_id").bindparams(
        *(sa.bindparam(name, type_=_entries.c[name].type)
          for name in ("content_text", "content_state", "updated_at", "kind", "doc_id")))


def _changed(obj: Any, fields: tuple[str, ...]) -> bool:
    state = sa.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in fields)


def sync_session(session: Session, _context: Any = None) -> None:
    """``after_flush``: upsert the entry of every new or changed document."""
    new = session.new
    todo = [obj for obj in (*new, *session.dirty)
            if (isinstance(obj, IncomingDocument)
                and (obj in new or _changed(obj, INCOMING_FIELDS)))
            or (isinstance(obj, OutgoingDocument)
                and (obj in new or _changed(obj, OUTGOING_FIELDS)))]
    gone = [obj for obj in session.deleted
            if isinstance(obj, IncomingDocument | OutgoingDocument)]
    if not todo and not gone:
        return
    conn = session.connection()
    for obj in todo:
        if isinstance(obj, IncomingDocument):
            upsert(conn, incoming_values(obj))
        else:
            upsert(conn, outgoing_values(conn, obj))
    for obj in gone:
        kind = "incoming" if isinstance(obj, IncomingDocument) else "outgoing"
        conn.execute(_entries.delete().where(_entries.c.kind == kind,
                                             _entries.c.doc_id == obj.id))


def register_listener() -> None:
    """Attach :func:`sync_session` to every Flask-SQLAlchemy session (once per process)."""
    from eoffice.extensions import db

    if not sa.event.contains(db.session, "after_flush", sync_session):
        sa.event.listen(db.session, "after_flush", sync_session)
