"""Web page of the registers and reports: a form (kind, body, period, format) → download.

``GET /reports`` shows the form; ``GET /reports/export`` answers the file, or the form
again with the Vietnamese reason and status 400 (bad input) — 403 through the error page
for someone who may not export that body's registers. Exporting changes nothing but the
audit chain, so the form is a plain GET form (the URL can be bookmarked per period).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from eoffice.core.errors import BadRequest
from eoffice.core.uow import unit_of_work
from eoffice.i18n import error_message
from eoffice.reports import service

bp = Blueprint("reports", __name__, url_prefix="/reports")

KIND_LABELS = {
    "outgoing_register": _l("Sổ đăng ký văn bản đi"),
    "incoming_register": _l("Sổ đăng ký văn bản đến"),
    "incoming_tracking": _l("Sổ theo dõi giải quyết văn bản đến"),
    "incoming_handling": _l("Báo cáo tình hình giải quyết văn bản đến"),
    "outgoing_handling": _l("Báo cáo tình hình xử lý văn bản đi"),
}


def file_response(result: service.Export) -> Response:
    """The exported file as a download."""
    response = Response(result.data, mimetype=result.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    response.headers["X-Report-Rows"] = str(result.rows)
    response.headers["Cache-Control"] = "no-store"
    return response


def _page(values: dict[str, Any], error: str = "", status: int = 200) -> Any:
    bodies = service.exportable_bodies(current_user)
    return render_template("reports/index.html", bodies=bodies, kinds=KIND_LABELS,
                           formats=service.FORMATS, values=values, error=error,
                           max_days=service.MAX_DAYS), status


@bp.get("")
@login_required
def registers():  # type: ignore[no-untyped-def]
    """The export form; the current year by default."""
    year = service.today().year
    values = {"kind": "outgoing_register", "org": "", "from": date(year, 1, 1).isoformat(),
              "to": service.today().isoformat(), "format": "xlsx"}
    return _page(values)


@bp.get("/export")
@login_required
def export():  # type: ignore[no-untyped-def]
    """Download the chosen register or report."""
    values = {key: (request.args.get(key) or "")[:100]
              for key in ("kind", "org", "from", "to", "format")}
    try:
        with unit_of_work():
            req = service.parse_request(current_user, kind=values["kind"], org=values["org"],
                                        start=values["from"], end=values["to"],
                                        fmt=values["format"] or "xlsx")
            result = service.export(current_user, req)
    except BadRequest as exc:
        return _page(values, error_message(exc), 400)
    return file_response(result)
