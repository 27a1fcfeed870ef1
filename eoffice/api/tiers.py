"""API: forwarding electronic copies down the tiers and the progress tree of a directive.

``POST /incoming/{id}/forward`` — the clerk makes a sao y of a registered incoming document
and sends it to bodies directly below (``recipients`` codes, or ``all_below``).
``GET /copies/{id}`` · ``/copies/{id}/pdf`` — a copy the caller's body made.
``GET /incoming/{id}/copies`` — the copies made of one incoming document.
``GET /outgoing/{id}/tree`` — the progress tree of an outgoing document (issuing body only).
"""

from __future__ import annotations

from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Integer, List, Nested, String
from flask import Response
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import token_required
from eoffice.core.uow import unit_of_work
from eoffice.incoming import service as incoming
from eoffice.outgoing import service as outgoing
from eoffice.tiers import progress, service


class ForwardIn(Schema):
    recipients = List(String(), load_default=list,
                      metadata={"description": "codes of bodies directly below the caller's"})
    all_below = Boolean(load_default=False,
                        metadata={"description": "every active body directly below"})


class CopyRecipientOut(Schema):
    org_code = String()
    org_name = String()
    status_code = String(metadata={"description": "latest QCVN 102 status, '' = not yet"})
    updated_at = DateTime(allow_none=True)


class CopyOut(Schema):
    copy_id = Integer()
    number = String()
    notation = String()
    code = String()
    copy_form = String()
    copied_on = Date()
    document_id = String(metadata={"description": "the copy's own edXML DocumentId"})
    original_document_id = String()
    incoming_id = Integer()
    recipients = List(Nested(CopyRecipientOut))


class CopyList(Schema):
    items = List(Nested(CopyOut))


class ReportOut(Schema):
    incoming_id = Integer()
    code = String()
    subject = String()
    type_name = String()
    received_at = DateTime()


class StatusFields(Schema):
    org_code = String()
    org_name = String()
    status_code = String(metadata={"description": "'' sent, 01 received, 02 refused, "
                                                  "03 registered, 04 assigned, 05 processing, "
                                                  "06 completed"})
    status = String()
    status_name = String()
    updated_at = DateTime(allow_none=True)
    reported = Boolean(metadata={"description": "a reply naming the document in ResponseFor "
                                                "arrived from this body"})
    reports = List(Nested(ReportOut))


class TreeCommune(StatusFields):
    pass


class TreeCopy(Schema):
    copy_id = Integer()
    code = String()
    copied_on = Date()
    document_id = String()
    recipients = List(Nested(TreeCommune))


class TreeNode(StatusFields):
    active = Boolean()
    copies = List(Nested(TreeCopy))


class TreeDocument(Schema):
    id = Integer()
    code = String()
    subject = String()
    document_id = String()
    issued_on = Date(allow_none=True)
    org_code = String()
    org_name = String()


class TreeSummary(Schema):
    recipients = Integer()
    received = Integer()
    registered = Integer()
    completed = Integer()
    refused = Integer()
    reported = Integer()
    forwarded = Integer()
    copies_sent = Integer()


class TreeOut(Schema):
    document = Nested(TreeDocument)
    summary = Nested(TreeSummary)
    nodes = List(Nested(TreeNode))


@bp.post("/incoming/<int:doc_id>/forward")
@token_required
@bp.input(ForwardIn, arg_name="data")
@bp.output(CopyOut, status_code=201)
@bp.doc(summary="Forward a sao y below",
        description="Clerk: make an electronic copy (sao y) of a registered incoming "
                    "document, number it in the copy register and send it to bodies "
                    "directly below. 403 for a body not below, 409 for a refused, revoked "
                    "or confidential document; nothing is numbered or sent then.")
def forward_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """Make the sao y and send it."""
    with unit_of_work():
        doc = incoming.get_document(current_user, doc_id)
        copy = service.forward_copy(current_user, doc, recipients=data["recipients"],
                                    all_below=data["all_below"])
        result = service.copy_record(copy)
    return result


@bp.get("/incoming/<int:doc_id>/copies")
@token_required
@bp.output(CopyList)
def list_copies(doc_id: int) -> Any:
    """The copies the caller's body made of one of its incoming documents."""
    doc = incoming.get_document(current_user, doc_id)
    return {"items": [service.copy_record(c) for c in service.copies_of(doc)
                      if service.can_view(current_user, c)]}


@bp.get("/copies/<int:copy_id>")
@token_required
@bp.output(CopyOut)
def get_copy(copy_id: int) -> Any:
    """A copy made by the caller's body, with each recipient's status."""
    return service.copy_record(service.get_copy(current_user, copy_id))


@bp.get("/copies/<int:copy_id>/pdf")
@token_required
@bp.doc(responses={200: {"description": "the signed copy", "content": {"application/pdf": {}}}})
def get_copy_pdf(copy_id: int) -> Any:
    """The signed copy PDF (the original embedded as its source file)."""
    copy = service.get_copy(current_user, copy_id)
    name = copy.code.replace("/", "-") + ".pdf"
    return Response(service.copy_pdf(copy), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


@bp.get("/outgoing/<int:doc_id>/tree")
@token_required
@bp.output(TreeOut)
@bp.doc(summary="Progress tree of a directive",
        description="Per addressee: status, replies linked by ResponseFor, copies forwarded "
                    "below and each receiver's status. The issuing body only.")
def outgoing_tree(doc_id: int) -> Any:
    """The progress tree of an outgoing document."""
    return progress.build_tree(current_user, outgoing.load_for(current_user, doc_id))
