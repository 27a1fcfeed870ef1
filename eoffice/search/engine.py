"""Running a search: parameters, visibility, the full-text match, ordering and paging.

Every statement starts from the reader's body (``org_id``), then narrows to what the
workflows' ``view`` rules allow (:func:`visible`), then matches the words — FTS5
``MATCH`` on SQLite, ``tsv @@ to_tsquery('simple', …)`` on PostgreSQL — and pages with
LIMIT/OFFSET. The words come from :func:`eoffice.search.text.tokens`, so they are only
letters and digits; each is quoted, the last one also matches as a prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa

from eoffice.core.errors import BadRequest
from eoffice.documents.models import DocumentType
from eoffice.extensions import db
from eoffice.incoming.models import STATUSES as INCOMING_STATUSES
from eoffice.incoming.models import IncomingDocument
from eoffice.outgoing.models import STATUSES as OUTGOING_STATUSES
from eoffice.outgoing.models import OutgoingDocument
from eoffice.search.models import FTS_TABLE, KINDS, SearchEntry
from eoffice.search.text import MAX_QUERY_CHARS, MAX_QUERY_TOKENS, fold, tokens

ORDERS = ("relevance", "date")
URGENCY_NAMES = {"thuong": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}
ISSUED = ("issued", "sent", "revoked", "replaced")
NOT_ISSUED = tuple(s for s in OUTGOING_STATUSES if s not in ISSUED)
MAX_PER_PAGE = 100
# Matches are counted up to this many (and paged no further): beyond it a person narrows
# the search, and a count over a whole body's register would cost more than the page.
MAX_COUNT = 10_000
# bm25 weights of title / people / content (SQLite)
BM25 = (10.0, 4.0, 1.0)


@dataclass(frozen=True)
class SearchParams:
    """A validated search request."""

    q: str = ""
    words: tuple[str, ...] = ()
    kind: str | None = None
    type_key: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    statuses: tuple[str, ...] = ()
    issuer_code: str | None = None
    urgency: int | None = None
    order: str = "date"
    page: int = 1
    per_page: int = 20
    raw: dict[str, str] = field(default_factory=dict)
    """The accepted parameters as given (for links and saved searches)."""


@dataclass(frozen=True)
class SearchResult:
    """One page of entries and the number of all matches."""

    items: list[SearchEntry]
    total: int
    """All matches, or :data:`MAX_COUNT` when there are more (``exact`` is then False)."""
    page: int
    per_page: int
    params: SearchParams
    exact: bool = True


def _day(value: str, name: str, label: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest("Ngày không hợp lệ (định dạng YYYY-MM-DD).",
                         details={"field": name, "label": label}) from None


def _int(value: Any, name: str, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BadRequest("Số trang không hợp lệ.", details={"field": name}) from None


def query_words(q: str) -> tuple[str, ...]:
    """The words of a query; a query over the length limit is refused."""
    if len(q) > MAX_QUERY_CHARS:
        raise BadRequest("Từ khóa tìm kiếm quá dài (tối đa 200 ký tự).",
                         details={"field": "q", "max_length": MAX_QUERY_CHARS})
    words = tokens(q)
    if len(words) > MAX_QUERY_TOKENS:
        raise BadRequest("Từ khóa tìm kiếm có quá nhiều từ (tối đa 16 từ).",
                         details={"field": "q", "max_words": MAX_QUERY_TOKENS})
    return tuple(words)


def _type_key(value: str) -> str:
    """A type given by abbreviation or code (``CT``) or by name (``Chỉ thị``)."""
    name = db.session.execute(sa.select(DocumentType.name).where(
        DocumentType.org_id.is_(None),
        sa.or_(sa.func.upper(DocumentType.code) == value.upper(),
               sa.func.upper(DocumentType.abbreviation) == value.upper())).limit(1)).scalar()
    return fold(name or value)


def parse_params(args: Mapping[str, Any]) -> SearchParams:
    """Validate ``q, kind, type, from, to, status, org, urgency, order, page, per_page``."""
    def get(name: str) -> str:
        value = args.get(name)
        return str(value).strip() if value is not None else ""

    raw = {k: get(k) for k in ("q", "kind", "type", "from", "to", "status", "org", "urgency",
                               "order") if get(k)}
    q = get("q")
    words = query_words(q)
    kind = get("kind") or None
    if kind is not None and kind not in KINDS:
        raise BadRequest("Loại sổ không hợp lệ (incoming hoặc outgoing).",
                         details={"field": "kind", "allowed": list(KINDS)})
    date_from = _day(get("from"), "from", "Ngày bắt đầu") if get("from") else None
    date_to = _day(get("to"), "to", "Ngày kết thúc") if get("to") else None
    if date_from and date_to and date_to < date_from:
        raise BadRequest("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.",
                         details={"field": "to"})
    statuses = tuple(s.strip() for s in get("status").split(",") if s.strip())
    allowed = {*INCOMING_STATUSES, *OUTGOING_STATUSES}
    unknown = [s for s in statuses if s not in allowed]
    if unknown:
        raise BadRequest("Trạng thái không hợp lệ.",
                         details={"field": "status", "unknown": unknown[:10],
                                  "allowed": sorted(allowed)})
    urgency: int | None = None
    if get("urgency"):
        value = get("urgency")
        if value.isdigit() and int(value) in URGENCY_NAMES.values():
            urgency = int(value)
        elif value in URGENCY_NAMES:
            urgency = URGENCY_NAMES[value]
        else:
            raise BadRequest("Độ khẩn không hợp lệ (0–3 hoặc thuong, khan, thuong_khan, "
                             "hoa_toc).", details={"field": "urgency"})
    order = get("order") or ("relevance" if words else "date")
    if order not in ORDERS:
        raise BadRequest("Thứ tự không hợp lệ (relevance hoặc date).",
                         details={"field": "order", "allowed": list(ORDERS)})
    if not words:
        order = "date"
    type_value = get("type")[:100]
    page = max(_int(args.get("page"), "page", 1), 1)
    per_page = min(max(_int(args.get("per_page"), "per_page", 20), 1), MAX_PER_PAGE)
    if (page - 1) * per_page >= MAX_COUNT:
        raise BadRequest("Chỉ xem được các kết quả đầu (tối đa 10.000); hãy thu hẹp tìm kiếm.",
                         details={"field": "page", "max_results": MAX_COUNT})
    return SearchParams(
        q=q, words=words, kind=kind, type_key=_type_key(type_value) if type_value else None,
        date_from=date_from, date_to=date_to, statuses=statuses,
        issuer_code=get("org")[:35] or None, urgency=urgency, order=order,
        page=page, per_page=per_page, raw=raw)


# ---------------------------------------------------------------------------------------
# visibility (mirrors incoming.policy.can_view and outgoing.policy.can_view)


def _incoming_visible(actor: Any) -> sa.ColumnElement[bool]:
    from eoffice.incoming.queries import visible_query

    where = sa.and_(SearchEntry.kind == "incoming", SearchEntry.org_id == actor.org_id)
    if actor.has_role("clerk", "leader"):
        return where
    assigned = visible_query(actor).with_only_columns(IncomingDocument.id)
    return sa.and_(where, SearchEntry.doc_id.in_(assigned))


def _outgoing_visible(actor: Any) -> sa.ColumnElement[bool]:
    where = sa.and_(SearchEntry.kind == "outgoing", SearchEntry.org_id == actor.org_id)
    if actor.has_role("clerk", "admin", "leader"):
        return where
    own = [OutgoingDocument.created_by_id == actor.id]
    if actor.has_role("head") and actor.unit_id is not None:
        own.append(OutgoingDocument.unit_id == actor.unit_id)
    # only the body's documents not issued yet: the issued ones are visible anyway, and
    # the (org_id, status, …) index then reads a few rows instead of all the author's
    # documents (measured at 1,000,000: 57,000 ids hashed per search → a few thousand)
    drafts = sa.select(OutgoingDocument.id).where(
        OutgoingDocument.org_id == actor.org_id, OutgoingDocument.status.in_(NOT_ISSUED),
        sa.or_(*own))
    return sa.and_(where, sa.or_(SearchEntry.status.in_(ISSUED),
                                 SearchEntry.doc_id.in_(drafts)))


def visible(actor: Any, kind: str | None = None) -> sa.ColumnElement[bool]:
    """Entries ``actor`` may open (their body's, as the workflows' view rules allow)."""
    if getattr(actor, "org_id", None) is None:
        return sa.false()
    if kind == "incoming":
        return _incoming_visible(actor)
    if kind == "outgoing":
        return _outgoing_visible(actor)
    if actor.has_role("clerk", "leader"):  # the body's whole registers: no per-row test
        return SearchEntry.org_id == actor.org_id
    # the body as a top-level condition, so the (org_id, …) indexes narrow first
    return sa.and_(SearchEntry.org_id == actor.org_id,
                   sa.or_(_incoming_visible(actor), _outgoing_visible(actor)))


# ---------------------------------------------------------------------------------------
# matching


def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def _fts_match(words: tuple[str, ...]) -> str:
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def _tsquery(words: tuple[str, ...]) -> str:
    quoted = [f"'{w}'" for w in words]
    quoted[-1] += ":*"
    return " & ".join(quoted)


def _with_match(stmt: sa.Select[Any], words: tuple[str, ...]) -> tuple[sa.Select[Any], Any]:
    """Add the full-text condition; returns the statement and its rank expression
    (smaller is better)."""
    if _postgres():
        query = sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"),
                                   sa.bindparam("tsq", _tsquery(words)))
        stmt = stmt.where(SearchEntry.tsv.op("@@")(query))
        return stmt, -sa.func.ts_rank(SearchEntry.tsv, query)
    fts = sa.table(FTS_TABLE, sa.column("rowid"))
    fts_name = sa.literal_column(FTS_TABLE)
    stmt = stmt.join(fts, fts.c.rowid == SearchEntry.id).where(
        fts_name.op("MATCH")(sa.bindparam("fts", _fts_match(words))))
    return stmt, sa.func.bm25(fts_name, *BM25)


def filtered(actor: Any, params: SearchParams) -> tuple[sa.Select[Any], Any]:
    """The statement of every visible match (unordered) and its rank expression."""
    stmt = sa.select(SearchEntry).where(visible(actor, params.kind))
    if params.type_key:
        stmt = stmt.where(SearchEntry.type_key == params.type_key)
    if params.date_from:
        stmt = stmt.where(SearchEntry.doc_date >= params.date_from)
    if params.date_to:
        stmt = stmt.where(SearchEntry.doc_date <= params.date_to)
    if params.statuses:
        stmt = stmt.where(SearchEntry.status.in_(params.statuses))
    if params.issuer_code:
        stmt = stmt.where(SearchEntry.issuer_code == params.issuer_code)
    if params.urgency is not None:
        stmt = stmt.where(SearchEntry.urgency == params.urgency)
    rank = None
    if params.words:
        stmt, rank = _with_match(stmt, params.words)
    return stmt, rank


def run(actor: Any, params: SearchParams) -> SearchResult:
    """One page of results (two statements: the bounded count and the page)."""
    stmt, rank = filtered(actor, params)
    # no column of the row is needed: PostgreSQL can count from the index alone
    counted = stmt.with_only_columns(sa.literal(1)).limit(MAX_COUNT + 1).subquery()
    total = db.session.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one()
    by_date = (SearchEntry.doc_date.desc(), SearchEntry.id.desc())
    order = (rank, *by_date) if params.order == "relevance" and rank is not None else by_date
    rows = db.session.execute(stmt.order_by(*order).limit(params.per_page)
                              .offset((params.page - 1) * params.per_page)).scalars().all()
    return SearchResult(items=list(rows), total=min(int(total), MAX_COUNT), page=params.page,
                        per_page=params.per_page, params=params, exact=total <= MAX_COUNT)


def matching_ids(actor: Any, kind: str, q: str) -> sa.Select[Any] | None:
    """Ids of ``kind`` documents ``actor`` may see that match ``q`` (for the lists' ``q``);
    ``None`` when ``q`` has no words."""
    words = query_words(q or "")
    if not words:
        return None
    stmt, _rank = filtered(actor, SearchParams(q=q, words=words, kind=kind))
    return stmt.with_only_columns(SearchEntry.doc_id)
