"""API: search (``GET /api/v1/search``) and saved searches, over :mod:`eoffice.search`."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, Dict, Integer, List, Nested, String
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import token_required
from eoffice.api.schemas import Page
from eoffice.core.uow import unit_of_work
from eoffice.incoming.models import STATUS_NAMES as INCOMING_STATUS_NAMES
from eoffice.outgoing.workflow import STATUS_LABELS as OUTGOING_STATUS_NAMES
from eoffice.search import service
from eoffice.search.engine import SearchResult
from eoffice.search.models import SavedSearch, SearchEntry


class SearchQuery(Schema):
    q = String(load_default="", metadata={"description": "words, accents and case optional "
                                                         "(at most 200 characters)"})
    kind = String(load_default="", metadata={"description": "incoming or outgoing"})
    type = String(load_default="", metadata={"description": "document type code (CT, QĐ, "
                                                            "CV…) or name"})
    date_from = String(load_default="", data_key="from",
                       metadata={"description": "YYYY-MM-DD, document date from"})
    date_to = String(load_default="", data_key="to",
                     metadata={"description": "YYYY-MM-DD, document date until"})
    status = String(load_default="", metadata={"description": "states, comma-separated"})
    org = String(load_default="", metadata={"description": "issuer's organisation code"})
    urgency = String(load_default="", metadata={"description": "0-3 or thuong, khan, "
                                                               "thuong_khan, hoa_toc"})
    order = String(load_default="", metadata={"description": "relevance (default with words) "
                                                             "or date"})
    page = Integer(load_default=1)
    per_page = Integer(load_default=20, metadata={"description": "at most 100"})


class SearchItem(Schema):
    kind = String()
    id = Integer()
    code = String()
    subject = String()
    type_name = String()
    issuer_code = String()
    issuer_name = String()
    signer_name = String()
    status = String()
    status_name = String()
    urgency = Integer()
    date = Date()
    url = String(metadata={"description": "the document's API record"})


class SearchPage(Page):
    items = List(Nested(SearchItem))
    total_exact = Boolean(metadata={"description": "false when there are more than 10,000 "
                                                   "matches (total is then 10000)"})


class SavedIn(Schema):
    name = String(required=True, metadata={"description": "at most 100 characters"})
    params = Dict(load_default=dict, metadata={"description": "q, kind, type, from, to, "
                                                              "status, org, urgency, order"})


class SavedOut(Schema):
    id = Integer()
    name = String()
    params = Dict()


class SavedList(Schema):
    items = List(Nested(SavedOut))


class SavedPageQuery(Schema):
    page = Integer(load_default=1)
    per_page = Integer(load_default=20)


def item_out(entry: SearchEntry) -> dict[str, Any]:
    names = INCOMING_STATUS_NAMES if entry.kind == "incoming" else OUTGOING_STATUS_NAMES
    return {"kind": entry.kind, "id": entry.doc_id, "code": entry.code,
            "subject": entry.subject, "type_name": entry.type_name,
            "issuer_code": entry.issuer_code, "issuer_name": entry.issuer_name,
            "signer_name": entry.signer_name, "status": entry.status,
            "status_name": names.get(entry.status, entry.status), "urgency": entry.urgency,
            "date": entry.doc_date, "url": f"/api/v1/{entry.kind}/{entry.doc_id}"}


def page_out(result: SearchResult) -> dict[str, Any]:
    return {"items": [item_out(e) for e in result.items], "total": result.total,
            "total_exact": result.exact, "page": result.page, "per_page": result.per_page}


def saved_out(row: SavedSearch) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "params": service.saved_params(row)}


@bp.get("/search")
@token_required
@bp.input(SearchQuery, location="query", arg_name="query")
@bp.output(SearchPage)
def search(query: dict[str, Any]) -> Any:
    """Documents the caller may see matching the words and filters (paged)."""
    args = {**query, "from": query.pop("date_from"), "to": query.pop("date_to")}
    return page_out(service.search(current_user, args))


@bp.get("/search/saved")
@token_required
@bp.output(SavedList)
def list_saved() -> Any:
    """The caller's saved searches."""
    return {"items": [saved_out(r) for r in service.saved_searches(current_user)]}


@bp.post("/search/saved")
@token_required
@bp.input(SavedIn, arg_name="body")
@bp.output(SavedOut, status_code=201)
def save(body: dict[str, Any]) -> Any:
    """Save a search under a name (the same name replaces it)."""
    with unit_of_work():
        row = service.save_search(current_user, body["name"], body["params"] or {})
        out = saved_out(row)
    return out


@bp.get("/search/saved/<int:saved_id>/results")
@token_required
@bp.input(SavedPageQuery, location="query", arg_name="query")
@bp.output(SearchPage)
def run_saved(saved_id: int, query: dict[str, Any]) -> Any:
    """Run a saved search."""
    return page_out(service.run_saved(current_user, saved_id, page=query["page"],
                                      per_page=query["per_page"]))


@bp.delete("/search/saved/<int:saved_id>")
@token_required
@bp.output({}, status_code=204)
def delete_saved(saved_id: int) -> Any:
    """Forget a saved search."""
    with unit_of_work():
        service.delete_saved(current_user, saved_id)
    return ""
