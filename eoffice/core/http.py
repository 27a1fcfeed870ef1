"""Domain errors → HTTP, in one place, for HTML pages and the JSON API alike.

API responses (paths under ``/api/``) carry ``{"error": {"code", "message"}}``; web
pages render an error page with the same status. Both show the message in the request's
language (``eoffice.i18n.select_locale``): Vietnamese unless English was asked for.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from eoffice.core.errors import DomainError
from eoffice.i18n import translate

HTTP_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Bạn cần đăng nhập."),
    403: ("forbidden", "Bạn không có quyền truy cập trang này."),
    404: ("not_found", "Không tìm thấy trang hoặc dữ liệu yêu cầu."),
    405: ("method_not_allowed", "Phương thức không được hỗ trợ."),
    409: ("conflict", "Thao tác xung đột với trạng thái hiện tại."),
    413: ("too_large", "Tệp tải lên quá lớn."),
    422: ("invalid", "Dữ liệu không hợp lệ."),
    429: ("too_many_requests", "Bạn đã thử quá nhiều lần. Vui lòng đợi rồi thử lại."),
    500: ("internal_error", "Hệ thống gặp lỗi. Vui lòng thử lại sau."),
}


def wants_json() -> bool:
    """API paths always answer JSON."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, details: dict[str, Any] | None = None,
                   headers: dict[str, str] | None = None,
                   params: dict[str, Any] | None = None) -> Response:
    """Build the error answer in the form the client expects; ``message`` is the Vietnamese
    template (a catalogue msgid) and ``params`` its named values."""
    text = translate(message, params)
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": text}
        if details:
            body["details"] = details
        response = jsonify({"error": body})
    else:
        response = Response(
            render_template("errors/error.html", status=status, message=text),
            mimetype="text/html",
        )
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def register_error_handlers(app: Flask) -> None:
    """Install the handlers on ``app``."""

    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Response:
        return error_response(exc.status, exc.code, exc.template, exc.details, params=exc.params)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Response:
        return error_response(400, "csrf", "Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ "
                              "(thiếu mã CSRF). Vui lòng tải lại trang.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        code, message = HTTP_MESSAGES.get(status, ("error", exc.description or exc.name))
        headers = {}
        if status == 429 and exc.response is not None and exc.response.headers.get("Retry-After"):
            headers["Retry-After"] = exc.response.headers["Retry-After"]
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        app.logger.exception("unhandled error")
        code, message = HTTP_MESSAGES[500]
        return error_response(500, code, message)
