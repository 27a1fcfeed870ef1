"""API: registers and reports of a body for a period, as XLSX or PDF.

``GET /api/v1/reports/{kind}?org=&from=&to=&format=xlsx|pdf``. The query values are
read as text and checked by ``reports.service`` so that every bad input (unknown kind or
format, missing or invalid dates, end before start, a period over 366 days, another
body) answers 400/403 with a Vietnamese message rather than a schema error.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import String
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import token_required
from eoffice.core.uow import unit_of_work
from eoffice.reports import service
from eoffice.reports.views import file_response


class ReportQuery(Schema):
    org = String(load_default="", metadata={
        "description": "organisation code of the body (000.00.30.H33); default: the caller's"})
    from_ = String(data_key="from", load_default="",
                   metadata={"description": "first day, YYYY-MM-DD (or dd/mm/yyyy)"})
    to = String(load_default="", metadata={"description": "last day (inclusive); at most 366 "
                                                          "days after the first"})
    format = String(load_default="xlsx", metadata={"description": "xlsx or pdf"})


@bp.get("/reports/<kind>")
@token_required
@bp.input(ReportQuery, location="query", arg_name="query")
@bp.output({}, content_type="application/octet-stream", description=(
    "the register or report file: XLSX (application/vnd.openxmlformats-officedocument."
    "spreadsheetml.sheet) or PDF (application/pdf)"))
@bp.doc(summary="Export a register or report", description=(
    "kind: outgoing_register (sổ đăng ký văn bản đi), incoming_register (sổ đăng ký văn "
    "bản đến), incoming_tracking (sổ theo dõi giải quyết văn bản đến), incoming_handling "
    "(báo cáo tình hình giải quyết văn bản đến), outgoing_handling (báo cáo tình hình xử "
    "lý văn bản đi). Clerks and leaders of the body only (403 otherwise); 400 on bad "
    "input."), responses={400: "bad input", 403: "not allowed for this body"})
def export_report(kind: str, query: dict[str, Any]) -> Any:
    """The register or report of one body for one period, as a file."""
    with unit_of_work():
        req = service.parse_request(current_user, kind=kind, org=query["org"],
                                    start=query["from_"], end=query["to"],
                                    fmt=query["format"])
        result = service.export(current_user, req)
    return file_response(result)
