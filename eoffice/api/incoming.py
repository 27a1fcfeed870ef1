"""API: incoming documents (DESIGN.md §6) — list, record with its validation report,
paper intake, register, refuse, assign, progress, complete, take-back answers, PDF."""

from __future__ import annotations

import json
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, File, Integer, List, Nested, Raw, String
from apiflask.validators import Length, OneOf
from flask import Response, request
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import page_args, token_required
from eoffice.api.schemas import Page
from eoffice.core.errors import NotFound, ValidationFailed
from eoffice.core.permissions import can, require
from eoffice.core.uow import unit_of_work
from eoffice.incoming import queries, service
from eoffice.incoming.models import STATUS_CODES, STATUS_NAMES, IncomingDocument


class IncomingQuery(Schema):
    status = String(load_default=None, metadata={"description": "received, refused, accepted, "
                                                                "assigned, processing, completed"})
    q = String(load_default=None, metadata={"description": "words, accents optional"})
    page = Integer(load_default=1)
    per_page = Integer(load_default=50)


class AssignmentOut(Schema):
    id = Integer()
    role = String()
    user = String(allow_none=True)
    unit_id = Integer(allow_none=True)
    name = String()
    deadline = Date(allow_none=True)
    active = Boolean()
    parent_id = Integer(allow_none=True)


class FileOut(Schema):
    id = Integer()
    kind = String()
    name = String()
    content_type = String()
    size = Integer()
    valid = Boolean(allow_none=True)
    verdict = String()
    signatures = Dict(allow_none=True)


class NoteOut(Schema):
    kind = String()
    text = String()
    author = String(allow_none=True)
    created_at = DateTime()
    file = String(allow_none=True)


class IncomingOut(Schema):
    id = Integer()
    status = String()
    status_code = String(allow_none=True)
    status_name = String()
    source = String()
    document_id = String()
    issuer_code = String()
    issuer_name = String()
    number = String()
    notation = String()
    code = String()
    issued_date = Date(allow_none=True)
    type_name = String()
    subject = String()
    signer_name = String()
    signer_position = String()
    priority = Integer()
    urgent = Boolean()
    sender_due_date = Date(allow_none=True)
    received_at = DateTime()
    incoming_number = Integer(allow_none=True)
    arrival_date = Date(allow_none=True)
    valid = Boolean(allow_none=True)
    duplicate_of = Integer(allow_none=True)
    wrong_recipient = Boolean()
    packet_signature_valid = Boolean(allow_none=True)
    refuse_reason = String()
    directive = String()
    deadline = Date(allow_none=True)
    result = String()
    completed_at = DateTime(allow_none=True)
    timeliness = String(allow_none=True)
    takeback_requested = String(allow_none=True)
    closed_note = String()
    replaces = Integer(allow_none=True)
    replaced_by = Integer(allow_none=True, metadata={
        "description": "id of the later document that replaced this one"})
    repeated_arrivals = Integer(metadata={"description": "times the same DocumentId arrived "
                                                         "again (never registered twice)"})
    response_for = List(Dict())
    reply = Dict()
    original = Dict(allow_none=True, metadata={
        "description": "for an electronic copy (sao y) forwarded by the sender: the original "
                       "document (copy_form, organ_id, organ_name, code, promulgation_date, "
                       "document_id)"})
    confidentiality = String()
    signatures = Dict(allow_none=True, metadata={"description": "validation report of the "
                                                               "main PDF (POST /verify shape)"})
    files = List(Nested(FileOut))
    assignments = List(Nested(AssignmentOut))
    notes = List(Nested(NoteOut))
    actions = List(String())


class IncomingPage(Page):
    items = List(Nested(IncomingOut))


class IntakeIn(Schema):
    file = File(required=True, metadata={"description": "PDF, or JPEG/PNG pages (repeat)"})
    meta = String(required=True, metadata={"description": "JSON: issuer_name, subject, number, "
                                                          "notation, issued_date, type_name, "
                                                          "issuer_code, signer_name, priority, "
                                                          "due_date"})


class RefuseIn(Schema):
    reason = String(required=True, validate=Length(max=2000))


class AssignIn(Schema):
    lead = Raw(required=True, metadata={"description": "username, 'unit:<id>', or "
                                                      "{user|unit, deadline, note}"})
    cooperate = List(Raw(), load_default=list)
    inform = List(Raw(), load_default=list)
    deadline = Date(load_default=None)
    directive = String(load_default="", validate=Length(max=4000))


class ReassignIn(Schema):
    user = String(required=True)
    deadline = Date(load_default=None)
    note = String(load_default="", validate=Length(max=1000))


class ProgressIn(Schema):
    text = String(required=True, validate=Length(max=4000))


class CompleteIn(Schema):
    result = String(required=True, validate=Length(max=4000))


class TakebackIn(Schema):
    answer = String(required=True, validate=OneOf(["accept", "refuse"]))
    reason = String(load_default="", validate=Length(max=2000))


ACTIONS = ("register", "refuse", "assign", "reassign", "progress", "complete", "takeback")


def document_out(doc: IncomingDocument, actor: Any, *, full: bool = True,
                 successors: dict[int, int] | None = None) -> dict[str, Any]:
    """The JSON record of an incoming document (``successors``: the list's replaced →
    replacing ids, fetched once for the page)."""
    main = doc.main_file
    data: dict[str, Any] = {
        "id": doc.id, "status": doc.status, "status_code": STATUS_CODES.get(doc.status),
        "status_name": STATUS_NAMES[doc.status], "source": doc.source,
        "document_id": doc.document_id, "issuer_code": doc.issuer_code,
        "issuer_name": doc.issuer_name, "number": doc.number, "notation": doc.notation,
        "code": doc.code, "issued_date": doc.issued_date, "type_name": doc.type_name,
        "subject": doc.subject, "signer_name": doc.signer_name,
        "signer_position": doc.signer_position, "priority": doc.priority,
        "urgent": doc.is_urgent, "sender_due_date": doc.sender_due_date,
        "received_at": doc.received_at, "incoming_number": doc.incoming_number,
        "arrival_date": doc.arrival_date, "valid": doc.verification_ok,
        "duplicate_of": doc.duplicate_of_id, "wrong_recipient": doc.wrong_recipient,
        "packet_signature_valid": doc.packet_signature_valid,
        "refuse_reason": doc.refuse_reason, "directive": doc.directive,
        "deadline": doc.deadline, "result": doc.result, "completed_at": doc.completed_at,
        "timeliness": doc.timeliness, "takeback_requested": doc.takeback_reason,
        "closed_note": doc.closed_note, "replaces": doc.replaces_id,
    }
    if successors is not None:
        data["replaced_by"] = successors.get(doc.id) if doc.status == "replaced" else None
    else:
        successor = service.replaced_by(doc) if doc.status == "replaced" else None
        data["replaced_by"] = successor.id if successor is not None else None
    if not full:
        return data
    data.update({
        "repeated_arrivals": service.repeated_arrivals(doc),
        "response_for": json.loads(doc.response_for or "[]"),
        "reply": service.response_for_data(doc),
        "original": doc.original, "confidentiality": doc.confidentiality,
        "signatures": service.report_of(main) if main is not None else None,
        "files": [{"id": f.id, "kind": f.kind, "name": f.name, "content_type": f.content_type,
                   "size": f.size, "valid": f.valid, "verdict": f.verdict,
                   "signatures": service.report_of(f)} for f in doc.files],
        "assignments": [{"id": a.id, "role": a.role,
                         "user": a.user.username if a.user else None, "unit_id": a.unit_id,
                         "name": a.target_name, "deadline": a.deadline, "active": a.active,
                         "parent_id": a.parent_id} for a in doc.assignments],
        "notes": [{"kind": n.kind, "text": n.text,
                   "author": n.author.full_name if n.author else None,
                   "created_at": n.created_at, "file": n.file.name if n.file else None}
                  for n in doc.notes],
        "actions": [a for a in ACTIONS if can(actor, f"incoming.{a}", doc)
                    and (a != "takeback" or doc.takeback_reason is not None)],
    })
    return data


@bp.get("/incoming")
@token_required
@bp.input(IncomingQuery, location="query", arg_name="query")
@bp.output(IncomingPage)
def list_incoming(query: dict[str, Any]) -> Any:
    """Incoming documents the caller may see, newest (and most urgent) first."""
    require(current_user, "incoming.list", current_user.org)
    page, per_page = page_args(query)
    rows, total = queries.list_documents(current_user, status=query["status"], q=query["q"],
                                         page=page, per_page=per_page)
    successors = queries.successor_ids(rows)
    return {"items": [document_out(d, current_user, full=False, successors=successors)
                      for d in rows], "total": total, "page": page, "per_page": per_page}


@bp.get("/incoming/<int:doc_id>")
@token_required
@bp.output(IncomingOut)
def get_incoming(doc_id: int) -> Any:
    """The record with ``signatures`` (the validation report computed on arrival)."""
    return document_out(service.get_document(current_user, doc_id), current_user)


@bp.post("/incoming")
@token_required
@bp.input(IntakeIn, location="form_and_files", arg_name="form")
@bp.output(IncomingOut, status_code=201)
def intake(form: dict[str, Any]) -> Any:
    """Paper intake: the scan (PDF, or images combined into one PDF) and its metadata."""
    try:
        meta = json.loads(form["meta"])
    except ValueError:
        raise ValidationFailed("Trường meta phải là JSON.", details={"field": "meta"}) from None
    if not isinstance(meta, dict):
        raise ValidationFailed("Trường meta phải là một đối tượng JSON.",
                               details={"field": "meta"})
    files = [(f.filename or "scan", f.read()) for f in request.files.getlist("file")]
    with unit_of_work():
        doc = service.intake_paper(current_user, current_user.org,
                                   service.PaperMeta.from_mapping(meta), files)
        result = document_out(doc, current_user)
    return result


def _act(doc_id: int, fn: Any) -> Any:
    with unit_of_work():
        doc = service.get_document(current_user, doc_id)
        fn(doc)
        result = document_out(doc, current_user)
    return result


@bp.post("/incoming/<int:doc_id>/register")
@token_required
@bp.output(IncomingOut)
def register_incoming(doc_id: int) -> Any:
    """The clerk registers it: the next số đến (status 03 to the issuer)."""
    return _act(doc_id, lambda doc: service.register(current_user, doc))


@bp.post("/incoming/<int:doc_id>/refuse")
@token_required
@bp.input(RefuseIn, arg_name="data")
@bp.output(IncomingOut)
def refuse_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """The clerk refuses it with a reason (status 02)."""
    return _act(doc_id, lambda doc: service.refuse(current_user, doc, data["reason"]))


@bp.post("/incoming/<int:doc_id>/assign")
@token_required
@bp.input(AssignIn, arg_name="data")
@bp.output(IncomingOut)
def assign_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """The leader directs: lead, cooperate, inform, deadline, directive (status 04)."""
    return _act(doc_id, lambda doc: service.assign(
        current_user, doc, lead=data["lead"], cooperate=data["cooperate"],
        inform=data["inform"], deadline=data["deadline"], directive=data["directive"]))


@bp.post("/incoming/<int:doc_id>/reassign")
@token_required
@bp.input(ReassignIn, arg_name="data")
@bp.output(IncomingOut)
def reassign_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """A unit head hands the unit's part to one of its people."""
    return _act(doc_id, lambda doc: service.reassign(
        current_user, doc, user=data["user"], deadline=data["deadline"], note=data["note"]))


@bp.post("/incoming/<int:doc_id>/progress")
@token_required
@bp.input(ProgressIn, arg_name="data")
@bp.output(IncomingOut)
def progress_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """A handler reports progress (the first report sends status 05)."""
    return _act(doc_id, lambda doc: service.add_note(current_user, doc, data["text"]))


@bp.post("/incoming/<int:doc_id>/complete")
@token_required
@bp.input(CompleteIn, arg_name="data")
@bp.output(IncomingOut)
def complete_incoming(doc_id: int, data: dict[str, Any]) -> Any:
    """The lead completes with a result (status 06; early / on time / late stored)."""
    return _act(doc_id, lambda doc: service.complete(current_user, doc, data["result"]))


@bp.post("/incoming/<int:doc_id>/takeback")
@token_required
@bp.input(TakebackIn, arg_name="data")
@bp.output(IncomingOut)
def answer_takeback(doc_id: int, data: dict[str, Any]) -> Any:
    """The clerk accepts (15) or refuses (16) the issuer's take-back request."""
    return _act(doc_id, lambda doc: service.answer_takeback(
        current_user, doc, accept=data["answer"] == "accept", reason=data["reason"]))


@bp.get("/incoming/<int:doc_id>/pdf")
@token_required
@bp.output({}, content_type="application/pdf")
def incoming_pdf(doc_id: int) -> Any:
    """The received PDF (the scan for a paper document)."""
    doc = service.get_document(current_user, doc_id)
    return pdf_response(doc)


def pdf_response(doc: IncomingDocument, file_id: int | None = None) -> Response:
    """Serve a file of the document (the main PDF by default)."""
    if file_id is None:
        file = doc.main_file
    else:
        file = next((f for f in doc.files if f.id == file_id), None)
    if file is None:
        raise NotFound("Văn bản không có tệp.")
    data = service.store().get(file.digest)
    response = Response(data, mimetype=file.content_type or "application/pdf")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "_" for c in file.name)
    response.headers["Content-Disposition"] = f'inline; filename="{safe or "van-ban.pdf"}"'
    return response
