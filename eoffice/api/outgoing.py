"""API: outgoing documents (DESIGN.md §6) — draft, review, sign, issue, track.

``POST /outgoing`` takes either multipart (``file`` + ``meta`` JSON, optional
``attachments``) or a JSON body with ``body`` to compose in the app; both are parsed
here and checked by the service. Every other call is declared with schemas.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Any

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, Float, Integer, List, Nested, String
from apiflask.validators import Length
from flask import Response, request
from flask_login import current_user

from eoffice.api import bp
from eoffice.api.accounts import page_args, token_required
from eoffice.core.errors import BadRequest, ValidationFailed
from eoffice.core.uow import unit_of_work
from eoffice.orgs import groups
from eoffice.outgoing import queries, service
from eoffice.outgoing.models import OutgoingDocument


class CommentIn(Schema):
    comment = String(load_default="", validate=Length(max=5000))


class PinIn(Schema):
    pin = String(required=True, validate=Length(min=1, max=64))


class BatchSignIn(Schema):
    ids = List(Integer(), required=True, validate=Length(min=1, max=100))
    pin = String(required=True, validate=Length(min=1, max=64))


class PrepareIn(Schema):
    certificate = String(required=True, metadata={"description": "PEM, or DER in base64"})
    chain = List(String(), load_default=[])


class PrepareOut(Schema):
    digest = String()
    digest_algorithm = String()
    signed_attributes = String()


class CompleteIn(Schema):
    signature = String(required=True, metadata={"description": "raw signature or CMS, base64"})


class ReasonIn(Schema):
    reason = String(required=True, validate=Length(min=1, max=2000))


class TakebackIn(Schema):
    reason = String(required=True, validate=Length(min=1, max=2000))
    recipients = List(String(), load_default=None, allow_none=True, metadata={
        "description": "codes of the recipients to ask (default: every current recipient)"})


class UpdateRecipientsIn(Schema):
    add = List(String(), load_default=list, metadata={"description": "codes to add"})
    remove = List(String(), load_default=list, metadata={"description": "codes to remove"})
    reason = String(required=True, validate=Length(min=1, max=2000))


class ReplaceIn(Schema):
    replaces = Integer(required=True, metadata={"description": "id of the issued document"})


class LayoutIn(Schema):
    page = Integer(load_default=0)
    number_page = Integer(load_default=None, allow_none=True)
    number_box = List(Float(), required=True)
    date_box = List(Float(), required=True)
    leader_box = List(Float(), required=True)


class CreatedOut(Schema):
    id = Integer()
    status = String()


class IssueOut(Schema):
    number = String()
    notation = String()
    issued_at = DateTime()
    status = String()
    document_id = String()


class RecipientOut(Schema):
    org_code = String()
    name = String()
    internal = Boolean()
    status = String(metadata={"description": (
        "received (01), refused (02), accepted (03), assigned (04), processing (05), "
        "completed (06) as the recipient reported; before any report: not_sent, pending, "
        "sent (handed to the hub) or failed (a dead letter, see description); change_accepted "
        "(15) / change_refused (16) after a revocation or update; takeback_requested, "
        "takeback_accepted, takeback_refused during a take-back; removed (by an update)")})
    status_label = String()
    status_code = String()
    description = String()
    updated_at = DateTime(allow_none=True)
    outbox_id = Integer(allow_none=True, metadata={
        "description": "the recipient's latest packet (resend/{outbox_id} when dead)"})
    outbox_state = String(metadata={"description": "pending, sent or dead ('' before sending)"})
    removed = Boolean(metadata={"description": "removed from the recipients by an update"})
    added = Boolean(metadata={"description": "added to the recipients by an update"})
    takeback = String(metadata={"description": (
        "take-back negotiation: '' (none), requested (13 sent), accepted (15), refused (16)")})
    takeback_reason = String()
    takeback_answer = String()


class EventOut(Schema):
    action = String()
    from_status = String()
    to_status = String()
    comment = String()
    actor = String()
    at = DateTime()


class VersionOut(Schema):
    seq = Integer()
    reason = String()
    digest = String()
    size = Integer()
    actor = String(allow_none=True)
    at = DateTime()


class AttachmentOut(Schema):
    id = Integer()
    name = String()
    size = Integer()
    sealed = Boolean()


class OutgoingOut(Schema):
    id = Integer()
    status = String()
    status_label = String()
    review_stage = String()
    org_code = String()
    doc_type = String()
    type_name = String()
    subject = String()
    urgency = String()
    confidentiality = String()
    due_date = Date(allow_none=True)
    response_for = String()
    signer = String()
    created_by = String()
    source = String()
    layout = Dict(allow_none=True)
    layout_detected = Boolean()
    number = String(allow_none=True)
    notation = String(allow_none=True)
    issued_at = DateTime(allow_none=True)
    document_id = String()
    replaced_by = Integer(allow_none=True)
    replaces = Integer(allow_none=True, metadata={
        "description": "id of the earlier document this one replaced"})
    recipients = List(Nested(RecipientOut))
    recipient_groups = List(Dict(), metadata={
        "description": "groups chosen on the draft: {id, slug, name, resolved_at, resolved "
                       "(codes at issue time), notes}"})
    attachments = List(Nested(AttachmentOut))
    versions = List(Nested(VersionOut))
    history = List(Nested(EventOut))


class OutgoingQuery(Schema):
    status = String(load_default="")
    q = String(load_default="")
    page = Integer(load_default=1)
    per_page = Integer(load_default=50)


class OutgoingPage(Schema):
    items = List(Nested(OutgoingOut))
    total = Integer()
    page = Integer()
    per_page = Integer()


class BatchResultOut(Schema):
    id = Integer()
    ok = Boolean()
    status = String()
    message = String()


class BatchOut(Schema):
    results = List(Nested(BatchResultOut))


_ONE = object()


def record(doc: OutgoingDocument, *, recipients: list[dict[str, Any]] | None = None,
           replaces: Any = _ONE) -> dict[str, Any]:
    """The API record of a document (DESIGN.md §6), recipients with their status.

    A list passes ``recipients`` (the delivery view) and ``replaces`` (the id of the
    earlier document, or None) fetched once for its page."""
    layout = service.layout_from_json(doc.layout_json)
    return {
        "id": doc.id, "status": doc.status, "status_label": queries.status_label(doc.status),
        "review_stage": doc.review_stage, "org_code": doc.org.code,
        "doc_type": doc.document_type.abbreviation or doc.document_type.code,
        "type_name": doc.document_type.name, "subject": doc.subject, "urgency": doc.urgency,
        "confidentiality": doc.confidentiality, "due_date": doc.due_date,
        "response_for": doc.response_for, "signer": doc.signer.username,
        "created_by": doc.created_by.username, "source": doc.source,
        "layout": json.loads(service.layout_to_json(layout)) if layout else None,
        "layout_detected": doc.layout_detected,
        "number": doc.number_text or None, "notation": doc.notation or None,
        "issued_at": doc.issued_at, "document_id": doc.document_id,
        "replaced_by": doc.replaced_by_id,
        "replaces": getattr(queries.replaces_of(doc), "id", None) if replaces is _ONE
        else replaces,
        "recipients": queries.recipient_statuses(doc) if recipients is None else recipients,
        "recipient_groups": groups.choices_out(doc),
        "attachments": [{"id": a.id, "name": a.name, "size": a.size,
                         "sealed": bool(a.sealed_digest)} for a in doc.attachments],
        "versions": [{"seq": v.seq, "reason": v.reason, "digest": v.digest, "size": v.size,
                      "actor": v.actor.username if v.actor else None, "at": v.created_at}
                     for v in doc.versions],
        "history": [{"action": e.action, "from_status": e.from_status,
                     "to_status": e.to_status, "comment": e.comment, "actor": e.actor_name,
                     "at": e.created_at} for e in doc.events],
    }


def _meta_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationFailed("Hạn trả lời phải có dạng YYYY-MM-DD.",
                               details={"field": "due_date"}) from None


def _create_args(meta: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(meta, dict):
        raise BadRequest("meta phải là một đối tượng JSON.")
    recipients = meta.get("recipients") or []
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, list):
        raise ValidationFailed("recipients phải là danh sách mã cơ quan.",
                               details={"field": "recipients"})
    groups = meta.get("recipient_groups") or []
    if isinstance(groups, str | int):
        groups = [groups]
    if not isinstance(groups, list):
        raise ValidationFailed("recipient_groups phải là danh sách mã hoặc số hiệu nhóm nơi nhận.",
                               details={"field": "recipient_groups"})
    return {
        "recipient_groups": [str(g) for g in groups],
        "doc_type": str(meta.get("doc_type") or ""), "subject": str(meta.get("subject") or ""),
        "recipients": [str(r) for r in recipients], "signer": str(meta.get("signer") or ""),
        "urgency": str(meta.get("urgency") or ""),
        "confidentiality": str(meta.get("confidentiality") or ""),
        "due_date": _meta_date(meta.get("due_date")),
        "response_for": str(meta.get("response_for") or ""),
        "authority": meta.get("authority"), "layout": meta.get("layout"),
    }


@bp.post("/outgoing")
@token_required
@bp.output(CreatedOut, status_code=201)
@bp.doc(summary="Create a draft",
        description="multipart: `file` (PDF or DOCX) + `meta` (JSON) + optional "
                    "`attachments`; or JSON `{doc_type, subject, recipients, signer, urgency, "
                    "confidentiality, due_date, body}` to compose from the Decree 30 template.")
def create_outgoing() -> Any:
    """Create a draft from an upload or composed from ``body``."""
    if request.mimetype == "multipart/form-data":
        try:
            meta = json.loads(request.form.get("meta") or "{}")
        except ValueError:
            raise BadRequest("Trường meta không phải JSON hợp lệ.") from None
        upload = request.files.get("file")
        args = _create_args(meta)
        if upload is None:
            if "body" not in meta:
                raise ValidationFailed("Thiếu tệp dự thảo (file).", details={"field": "file"})
            args["body"] = str(meta["body"])
        else:
            args["file"], args["filename"] = upload.read(), upload.filename or ""
        args["attachments"] = [(f.filename or "dinh-kem.pdf", f.read())
                               for f in request.files.getlist("attachments")]
    else:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise BadRequest("Cần JSON (soạn thảo) hoặc multipart (tải tệp lên).")
        args = _create_args(data)
        args["body"] = str(data.get("body") or "")
    with unit_of_work():
        doc = service.create_draft(current_user, **args)
        result = {"id": doc.id, "status": doc.status}
    return result


@bp.get("/outgoing")
@token_required
@bp.input(OutgoingQuery, location="query", arg_name="query")
@bp.output(OutgoingPage)
def list_outgoing(query: dict[str, Any]) -> Any:
    """Outgoing documents of the caller's body (paged), optionally by state."""
    page, per_page = page_args(query)
    if query["status"] in ("", "issued"):
        docs, total = queries.issued(current_user, q=query["q"], page=page, per_page=per_page,
                                     options=queries.RECORD_OPTIONS)
    else:
        docs, total = queries.drafts_page(current_user, query["status"], page=page,
                                          per_page=per_page, options=queries.RECORD_OPTIONS)
    queries.preload_people(docs)
    groups.preload_choices(docs)
    statuses, replaces = queries.recipient_statuses_for(docs), queries.replaces_ids(docs)
    return {"items": [record(d, recipients=statuses[d.id], replaces=replaces.get(d.id))
                      for d in docs], "total": total, "page": page, "per_page": per_page}


@bp.get("/outgoing/<int:doc_id>")
@token_required
@bp.output(OutgoingOut)
def get_outgoing(doc_id: int) -> Any:
    """The record with ``recipients: [{org_code, status, updated_at}]``."""
    return record(service.load_for(current_user, doc_id))


@bp.get("/outgoing/<int:doc_id>/pdf")
@token_required
@bp.doc(responses={200: {"description": "the current PDF",
                         "content": {"application/pdf": {}}}})
def get_outgoing_pdf(doc_id: int) -> Any:
    """The current PDF (the draft, the signed or the issued version)."""
    doc = service.load_for(current_user, doc_id)
    name = (doc.code or f"du-thao-{doc.id}").replace("/", "-") + ".pdf"
    return Response(service.current_pdf(doc), mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


def _step(doc_id: int, fn: Any, **kwargs: Any) -> dict[str, Any]:
    with unit_of_work():
        doc = service.load_for(current_user, doc_id)
        fn(current_user, doc, **kwargs)
        result = record(doc)
    return result


@bp.post("/outgoing/<int:doc_id>/submit")
@token_required
@bp.input(CommentIn, arg_name="data")
@bp.output(OutgoingOut)
def submit_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """The drafter submits for review."""
    return _step(doc_id, service.submit, comment=data["comment"])


@bp.post("/outgoing/<int:doc_id>/approve")
@token_required
@bp.input(CommentIn, arg_name="data")
@bp.output(OutgoingOut)
def approve_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """The unit head forwards / the signer approves."""
    return _step(doc_id, service.approve, comment=data["comment"])


@bp.post("/outgoing/<int:doc_id>/return")
@token_required
@bp.input(CommentIn, arg_name="data")
@bp.output(OutgoingOut)
def return_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """Back to the drafter with a comment."""
    return _step(doc_id, service.return_draft, comment=data["comment"])


@bp.post("/outgoing/<int:doc_id>/layout")
@token_required
@bp.input(LayoutIn, arg_name="data")
@bp.output(OutgoingOut)
def layout_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """Place the number, date and signature boxes by hand (PDF points)."""
    return _step(doc_id, service.set_layout, layout=data)


@bp.post("/outgoing/<int:doc_id>/sign")
@token_required
@bp.input(PinIn, arg_name="data")
@bp.output(OutgoingOut)
def sign_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """The chosen leader signs with their PIN."""
    return _step(doc_id, service.sign, pin=data["pin"])


@bp.post("/outgoing/sign-batch")
@token_required
@bp.input(BatchSignIn, arg_name="data")
@bp.output(BatchOut)
def sign_batch(data: dict[str, Any]) -> Any:
    """Sign several approved drafts with one PIN; a result per document."""
    with unit_of_work():
        results = service.sign_batch(current_user, data["ids"], pin=data["pin"])
    return {"results": [r.__dict__ for r in results]}


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed("%(field)s phải ở dạng base64.", params={"field": field},
                               details={"field": field}) from None


def _certificate(value: str) -> bytes:
    return value.encode() if "-----BEGIN" in value else _b64(value, "certificate")


@bp.post("/outgoing/<int:doc_id>/sign/prepare")
@token_required
@bp.input(PrepareIn, arg_name="data")
@bp.output(PrepareOut)
def sign_prepare(doc_id: int, data: dict[str, Any]) -> Any:
    """Two-step signing, step 1: the digest and signed attributes for the token."""
    with unit_of_work():
        doc = service.load_for(current_user, doc_id)
        req = service.prepare_external_signing(
            current_user, doc, certificate=_certificate(data["certificate"]),
            chain=[_certificate(c) for c in data["chain"]])
    return {"digest": base64.b64encode(req.digest).decode(),
            "digest_algorithm": req.digest_algorithm,
            "signed_attributes": base64.b64encode(req.signed_attributes).decode()}


@bp.post("/outgoing/<int:doc_id>/sign/complete")
@token_required
@bp.input(CompleteIn, arg_name="data")
@bp.output(OutgoingOut)
def sign_complete(doc_id: int, data: dict[str, Any]) -> Any:
    """Two-step signing, step 2: embed the token's signature."""
    return _step(doc_id, service.complete_external_signing,
                 signature=_b64(data["signature"], "signature"))


@bp.post("/outgoing/<int:doc_id>/issue")
@token_required
@bp.output(IssueOut)
def issue_outgoing(doc_id: int) -> Any:
    """Clerk: number, date, body signature, then dispatch."""
    with unit_of_work():
        doc = service.load_for(current_user, doc_id)
        service.issue(current_user, doc)
        result = {"number": doc.number_text, "notation": doc.notation,
                  "issued_at": doc.issued_at, "status": doc.status,
                  "document_id": doc.document_id}
    return result


@bp.post("/outgoing/<int:doc_id>/replace")
@token_required
@bp.input(ReplaceIn, arg_name="data")
@bp.output(IssueOut)
def replace_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """Clerk: issue this signed document as the replacement of an issued one."""
    with unit_of_work():
        doc = service.load_for(current_user, doc_id)
        old = service.load_for(current_user, data["replaces"])
        service.issue(current_user, doc, replaces=old)
        result = {"number": doc.number_text, "notation": doc.notation,
                  "issued_at": doc.issued_at, "status": doc.status,
                  "document_id": doc.document_id}
    return result


@bp.post("/outgoing/<int:doc_id>/send")
@token_required
@bp.output(OutgoingOut)
def send_outgoing(doc_id: int) -> Any:
    """Send an issued document (refused for confidential documents)."""
    return _step(doc_id, service.send)


@bp.post("/outgoing/<int:doc_id>/revoke")
@token_required
@bp.input(ReasonIn, arg_name="data")
@bp.output(OutgoingOut)
def revoke_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """Revoke an issued document (revocation packets to the recipients)."""
    return _step(doc_id, service.revoke, reason=data["reason"])


@bp.post("/outgoing/<int:doc_id>/resend/<int:message_id>")
@token_required
@bp.output(OutgoingOut)
def resend_outgoing(doc_id: int, message_id: int) -> Any:
    """Put a dead letter of this document back in the queue."""
    return _step(doc_id, service.resend, message_id=message_id)


@bp.post("/outgoing/<int:doc_id>/takeback")
@token_required
@bp.input(TakebackIn, arg_name="data")
@bp.output(OutgoingOut)
def takeback_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """Clerk: ask the recipients to give a sent document back (status 13 with the reason);
    their answers (15 / 16) show in ``recipients[].status``."""
    return _step(doc_id, service.request_takeback, reason=data["reason"],
                 recipients=data.get("recipients"))


@bp.post("/outgoing/<int:doc_id>/update-recipients")
@token_required
@bp.input(UpdateRecipientsIn, arg_name="data")
@bp.output(OutgoingOut)
def update_recipients_outgoing(doc_id: int, data: dict[str, Any]) -> Any:
    """Clerk: add and/or remove recipients of a sent document (update packet, type 2)."""
    return _step(doc_id, service.update_recipients, add=data["add"], remove=data["remove"],
                 reason=data["reason"])
