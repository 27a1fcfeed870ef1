"""The index entry is written by one statement whose compiled form SQLAlchemy keeps (a
receiving batch writes one entry per document: compiling the upsert every time cost about
a millisecond a document on the benchmark machine), and it keeps the PDF text."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine.interfaces import CacheStats

from eoffice.extensions import db
from eoffice.search import index
from eoffice.search.models import SearchEntry


def _values(org_id: int, doc_id: int, subject: str) -> dict:
    return {"kind": "incoming", "doc_id": doc_id, "org_id": org_id, "issuer_code": "000.00.00.G22",
            "type_key": "cong van", "status": "received", "urgency": 0,
            "doc_date": date(2026, 11, 26), "code": "12/VPCP", "subject": subject,
            "issuer_name": "Văn phòng Chính phủ", "signer_name": "", "type_name": "Công văn",
            "title_text": index.index_text(subject), "people_text": "van phong chinh phu"}


def test_upsert_is_compiled_once_and_keeps_the_pdf_text(app, db_session, make_org):
    org = make_org(code="000.00.00.H33", name="Ủy ban nhân dân tỉnh Kiên Giang")
    hits = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("INSERT INTO search_entries"):
            hits.append(context.cache_hit)

    conn = db.session.connection()
    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        for doc_id in (900001, 900002, 900003):
            index.upsert(conn, _values(org.id, doc_id, f"Công văn {doc_id}"))
        assert index.set_content(conn, "incoming", 900001, "Nội dung tệp PDF", "done")
        index.upsert(conn, _values(org.id, 900001, "Công văn đã sửa"))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert hits[0] in (CacheStats.CACHE_MISS, CacheStats.CACHE_HIT)  # never "no cache key"
    assert all(hit == CacheStats.CACHE_HIT for hit in hits[1:]), hits
    entry = db.session.execute(sa.select(SearchEntry).where(SearchEntry.doc_id == 900001)
                               ).scalar_one()
    assert entry.subject == "Công văn đã sửa"  # updated in place
    assert entry.content_state == "done" and "noi dung tep pdf" in entry.content_text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SearchEntry)
                             .where(SearchEntry.doc_id.in_([900001, 900002, 900003]))) == 3
