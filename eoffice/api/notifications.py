"""API: the caller's notifications (paged, newest first) and marking them read."""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import page_args, token_required
from eoffice.api.schemas import Page
from eoffice.core.errors import ValidationFailed
from eoffice.core.uow import unit_of_work
from eoffice.notifications import service


class NotificationQuery(Schema):
    unread = Boolean(load_default=False)
    page = Integer(load_default=1)
    per_page = Integer(load_default=50)


class NotificationOut(Schema):
    id = Integer()
    kind = String()
    text = String()
    link = String()
    created_at = DateTime()
    read_at = DateTime(allow_none=True)


class NotificationPage(Page):
    items = List(Nested(NotificationOut))
    unread = Integer()


class ReadIn(Schema):
    ids = List(Integer(), load_default=None, validate=Length(max=1000),
               metadata={"description": "ids to mark read"})
    all = Boolean(load_default=False, metadata={"description": "mark every one read"})


class ReadOut(Schema):
    marked = Integer()
    unread = Integer()


@bp.get("/notifications")
@token_required
@bp.input(NotificationQuery, location="query", arg_name="query")
@bp.output(NotificationPage)
def list_notifications(query: dict[str, Any]) -> Any:
    """The caller's notifications, newest first."""
    page, per_page = page_args(query)
    rows, total = service.page_for(current_user, page=page, per_page=per_page,
                                   unread_only=query["unread"])
    return {"items": rows, "total": total, "page": page, "per_page": per_page,
            "unread": service.unread_count(current_user)}


@bp.post("/notifications/read")
@token_required
@bp.input(ReadIn, arg_name="data")
@bp.output(ReadOut)
def read_notifications(data: dict[str, Any]) -> Any:
    """Mark the given notifications (``ids``) or ``all`` of them as read."""
    if not data["all"] and not data["ids"]:
        raise ValidationFailed("Cần chỉ rõ thông báo cần đánh dấu (ids) hoặc all=true.",
                               details={"field": "ids"})
    with unit_of_work():
        marked = service.mark_all_read(current_user, None if data["all"] else data["ids"])
    return {"marked": marked, "unread": service.unread_count(current_user)}
