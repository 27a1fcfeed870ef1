"""The scale loader's SQL search indexing equals the app's own (``eoffice.search.index``).

``bench/scale_data.search_insert`` fills ``search_entries`` of a million documents with one
``INSERT … SELECT`` per kind, folding Vietnamese in SQL. Documents written through the ORM
get their entries from the app's ``after_flush`` listener; the test deletes those entries,
runs the loader's statements and requires the same rows — every column, the ``tsv``
included — and the loader's own sample check to pass. PostgreSQL only (the loader is).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from bench import scale_data
from eoffice.documents import numbering
from eoffice.documents.models import DocumentType
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument
from eoffice.outgoing.models import OutgoingDocument
from eoffice.search.text import fold, index_text

VOWELS = "aăâeêioôơuưy"
TONES = ("", "\u0300", "\u0301", "\u0303", "\u0309", "\u0323")
# every Vietnamese letter, lower and upper case, with đ/Đ
EVERY_LETTER = " ".join(unicodedata.normalize("NFC", v + t) for v in VOWELS + VOWELS.upper()
                        for t in TONES) + " đ Đ"
SUBJECTS = [
    "Chỉ thị về tăng cường CẢI CÁCH hành chính", "V/v đôn đốc giải ngân (IUU) năm 2025",
    "ĐỀ NGHỊ phê duyệt kinh phí_phòng, chống thiên tai; số 05/CT-UBND", EVERY_LETTER,
    "  Khoảng   trắng\tvà dấu—gạch “ngoặc” ", "",
]


@pytest.fixture(autouse=True)
def postgres_only(app: Any) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the scale loader fills the search index on PostgreSQL only")


def _entries() -> dict[tuple[str, int], dict[str, Any]]:
    rows = db.session.execute(sa.text(
        "SELECT kind, doc_id, org_id, issuer_code, type_key, status, urgency, doc_date, code, "
        "subject, issuer_name, signer_name, type_name, title_text, people_text, content_text, "
        "content_state, tsv::text AS tsv FROM search_entries")).mappings().all()
    return {(r["kind"], r["doc_id"]): dict(r) for r in rows}


def test_sql_fold_matches_python() -> None:
    src, dst = scale_data._fold_map()
    for text in [*SUBJECTS, "Sở Tài nguyên và Môi trường tỉnh Kiên Giang", "Ỷ Ở Ữ Ặ Ẫ Ệ Ộ Ợ Ự Ỵ"]:
        folded, words = db.session.execute(sa.text(
            f"SELECT {scale_data._sql_fold(':t')}, {scale_data._sql_tokens(':t')}"),
            {"t": text, "src": src, "dst": dst}).one()
        assert folded == fold(text)
        assert words == index_text(text)
    assert set(fold(EVERY_LETTER).replace(" ", "")) == set("aeiouyd")


def test_loader_entries_equal_the_apps(make_org: Callable[..., Any],
                                       make_user: Callable[..., Any]) -> None:
    org = make_org(code="000.00.00.H78", name="Ủy ban nhân dân tỉnh Đồng Thử")
    leader = make_user("leader", org=org, username="fill.leader", full_name="Đặng Thị Ưng")
    clerk = make_user("clerk", org=org, username="fill.clerk")
    register = numbering.register_for(org, "outgoing")
    types = db.session.execute(sa.select(DocumentType).where(
        DocumentType.org_id.is_(None)).order_by(DocumentType.id)).scalars().all()
    at = datetime(2025, 12, 31, 20, 30, tzinfo=UTC)  # 1 January in Vietnam, not in UTC
    for i, subject in enumerate(SUBJECTS):
        db.session.add(IncomingDocument(
            org_id=org.id, source="electronic" if i % 2 else "paper", status="received",
            issuer_code="000.00.00.G01" if i % 3 else "", issuer_name="Văn phòng Chính phủ",
            number=f"{i:02d}" if i % 2 else None, notation="CV-VPCP" if i != 4 else "",
            issued_date=date(2025, 3, i + 1) if i % 2 else None, subject=subject,
            signer_name="Nguyễn Đức Ánh" if i % 2 else "", type_name=types[i].name,
            priority=i % 4, received_at=at))
        db.session.add(OutgoingDocument(
            org_id=org.id, created_by_id=clerk.id, signer_id=leader.id if i % 2 else clerk.id,
            document_type_id=types[-i].id, subject=subject,
            urgency=("", "khan", "thuong_khan", "hoa_toc")[i % 4],
            status="sent" if i % 2 else "draft", current_digest="0" * 64,
            register_id=register.id if i % 2 else None, issued_at=at if i % 2 else None,
            number=i if i % 2 else None, number_text=f"{i:02d}" if i % 2 else "",
            notation="QĐ-UBND" if i % 2 else "", issued_on=date(2025, 4, i + 1) if i % 2 else None,
            created_at=at, updated_at=at))
    db.session.flush()
    apps = _entries()
    assert len(apps) >= 2 * len(SUBJECTS)

    db.session.execute(sa.text("DELETE FROM search_entries"))
    conn = db.session.connection()
    added = sum(conn.execute(scale_data.search_insert(kind)).rowcount
                for kind in ("incoming", "outgoing"))
    assert added == len(apps)
    loaders = _entries()
    assert loaders.keys() == apps.keys()
    for key, row in apps.items():
        assert loaders[key] == row, key
    # a second run adds nothing (documents with an entry are skipped)
    assert conn.execute(scale_data.search_insert("incoming")).rowcount == 0
    assert scale_data.missing_search_entries(db) == 0
    assert scale_data.check_search(db, sample=50) == len(apps)
