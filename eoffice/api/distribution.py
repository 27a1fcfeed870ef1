"""API: internal distribution of incoming documents "to inform" and recipient groups.

``POST /incoming/{id}/distribute`` · ``GET /incoming/{id}/distribution`` ·
``POST /incoming/{id}/read`` · ``GET /incoming/to-inform`` · ``GET /recipient-groups``.
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, Raw, String
from apiflask.validators import Length
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import page_args, token_required
from eoffice.api.schemas import Page, PageQuery
from eoffice.core.uow import unit_of_work
from eoffice.incoming import distribution, service
from eoffice.incoming.distribution import IncomingDistribution
from eoffice.orgs import groups


class DistributeIn(Schema):
    units = List(Raw(), load_default=list, metadata={
        "description": "units of the body: short name (e.g. 'VP'), organisation code, id or "
                       "'unit:<id>' — expanded to their active members at send time"})
    users = List(String(), load_default=list, metadata={"description": "usernames of the body"})
    note = String(load_default="", validate=Length(max=2000))


class DistributedToOut(Schema):
    user = String()
    full_name = String()
    title = String()
    unit = String(allow_none=True, metadata={"description": "the unit it was sent through"})
    sent_at = DateTime()
    sent_by = String(allow_none=True)
    read = Boolean()
    read_at = DateTime(allow_none=True)


class DistributionOut(Schema):
    document_id = Integer()
    total = Integer()
    read = Integer()
    unread = Integer()
    recipients = List(Nested(DistributedToOut))


class ReadOut(Schema):
    document_id = Integer()
    read_at = DateTime()


class InformQuery(PageQuery):
    unread = Boolean(load_default=False)


class InformItemOut(Schema):
    id = Integer(metadata={"description": "the incoming document's id"})
    code = String()
    subject = String()
    issuer_name = String()
    incoming_number = Integer(allow_none=True)
    status = String()
    sent_at = DateTime()
    sent_by = String(allow_none=True)
    note = String()
    read_at = DateTime(allow_none=True)


class InformPage(Page):
    items = List(Nested(InformItemOut))


class OrgRefOut(Schema):
    code = String(allow_none=True)
    name = String()


class GroupNoteOut(Schema):
    kind = String(metadata={"description": "replaced, skipped, ancestor_replaced, "
                                           "ancestor_retired"})
    org = String()
    successor = String()


class GroupOut(Schema):
    id = Integer()
    slug = String()
    name = String()
    kind = String(metadata={"description": "rule (resolved from the tree) or static"})
    owner = String(allow_none=True)
    rule = Raw(allow_none=True, metadata={"description": "{tier, ancestor, short_name, "
                                                         "name_prefix} for a rule group"})
    members = List(String(), metadata={"description": "codes of a static group"})
    resolution = List(Nested(OrgRefOut), metadata={"description": "the bodies it stands "
                                                                  "for today"})
    notes = List(Nested(GroupNoteOut))


class GroupPage(Page):
    items = List(Nested(GroupOut))


def _recipient_out(row: IncomingDistribution) -> dict[str, Any]:
    return {"user": row.user.username, "full_name": row.user.full_name,
            "title": row.user.title, "unit": row.unit.name if row.unit else None,
            "sent_at": row.sent_at, "sent_by": row.sent_by.username if row.sent_by else None,
            "read": row.read_at is not None, "read_at": row.read_at}


def _distribution_out(doc_id: int, rows: list[IncomingDistribution]) -> dict[str, Any]:
    read = sum(1 for r in rows if r.read_at is not None)
    return {"document_id": doc_id, "total": len(rows), "read": read,
            "unread": len(rows) - read, "recipients": [_recipient_out(r) for r in rows]}


@bp.post("/incoming/<int:doc_id>/distribute")
@token_required
@bp.input(DistributeIn, arg_name="data")
@bp.output(DistributionOut, status_code=201)
def distribute_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """Clerk or leader: send a registered document to units and people to inform."""
    with unit_of_work():
        doc = service.get_document(current_user, doc_id)
        distribution.distribute(current_user, doc, units=data["units"], users=data["users"],
                                note=data["note"])
        result = _distribution_out(doc.id, distribution.distribution_of(current_user, doc))
    return result


@bp.get("/incoming/<int:doc_id>/distribution")
@token_required
@bp.output(DistributionOut)
def get_distribution(doc_id: int) -> Any:
    """Clerk or leader: who the document was sent to, who has read it, who has not."""
    doc = service.get_document(current_user, doc_id)
    return _distribution_out(doc.id, distribution.distribution_of(current_user, doc))


@bp.post("/incoming/<int:doc_id>/read")
@token_required
@bp.output(ReadOut)
def read_incoming(doc_id: int) -> Any:
    """A recipient marks the document read ("Đã đọc"); 409 if it was not sent to them."""
    with unit_of_work():
        doc = service.get_document(current_user, doc_id)
        row = distribution.mark_read(current_user, doc)
        result = {"document_id": doc.id, "read_at": row.read_at}
    return result


@bp.get("/incoming/to-inform")
@token_required
@bp.input(InformQuery, location="query", arg_name="query")
@bp.output(InformPage)
def list_to_inform(query: dict[str, Any]) -> Any:
    """The caller's "Văn bản để biết" (optionally only the unread ones)."""
    page, per_page = page_args(query)
    rows, total = distribution.to_inform(current_user, unread_only=query["unread"], page=page,
                                         per_page=per_page)
    return {"items": [{
        "id": r.document.id, "code": r.document.code, "subject": r.document.subject,
        "issuer_name": r.document.issuer_name, "incoming_number": r.document.incoming_number,
        "status": r.document.status, "sent_at": r.sent_at,
        "sent_by": r.sent_by.username if r.sent_by else None, "note": r.note,
        "read_at": r.read_at} for r in rows], "total": total, "page": page,
        "per_page": per_page}


def group_out(group: groups.RecipientGroup, actor: Any) -> dict[str, Any]:
    """A group with what it stands for today (the caller's own body left out)."""
    resolution = groups.resolve_group(group, exclude=actor.org.body if actor.org else None)
    return {
        "id": group.id, "slug": group.slug, "name": group.name, "kind": group.kind,
        "owner": group.owner.code,
        "rule": {"tier": group.tier_key,
                 "ancestor": group.ancestor.code if group.ancestor else None,
                 "short_name": group.short_name, "name_prefix": group.name_prefix}
        if group.kind == "rule" else None,
        "members": [m.org.code for m in group.members],
        "resolution": [{"code": o.code, "name": o.name} for o in resolution.orgs],
        "notes": [n.as_dict() for n in resolution.notes],
    }


@bp.get("/recipient-groups")
@token_required
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(GroupPage)
def list_recipient_groups(query: dict[str, Any]) -> Any:
    """Recipient groups the caller's body may use, each with its current resolution."""
    page, per_page = page_args(query)
    usable = groups.usable_groups(current_user)
    chunk = usable[(page - 1) * per_page: page * per_page]
    return {"items": [group_out(g, current_user) for g in chunk], "total": len(usable),
            "page": page, "per_page": per_page}
