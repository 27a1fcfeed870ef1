"""Outgoing documents: every state change, called by web views, the API and the CLI.

Each operation takes the acting user explicitly, checks the permission (``policy``) and
the state machine (``workflow``), changes the rows, writes the audit event and the
document's history, and flushes; the caller's unit of work commits once.

Issuing is ONE transaction: take the next number of the register (row-locked), fill the
number and date fields, apply the body's signature (B-LT, or B-LTA with
``OUTGOING_SEAL_LEVEL``), seal the separate attachments, write the register row, build the
edXML packets and write them to the outbox. Any failure (the TSA down, a wrong state, a
broken packet) rolls all of it back: no number is consumed, nothing is half-issued.

Packets: ONE PACKET PER RECIPIENT (each with the full recipient list in ``ToPlaces``).
A recipient the hub refuses (unknown code, retired body) then becomes its own dead letter
that the clerk resends or drops alone, while the others are delivered; every packet
carries the same ``DocumentId``, so the receivers' statuses land on one document.
Confidential documents (mật, tối mật, tuyệt mật) are numbered and registered but never
sent electronically (QĐ 28/2018/QĐ-TTg does not apply to State secrets).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

import signing
from eoffice.audit import service as audit
from eoffice.auth.models import User
from eoffice.core.clock import VN
from eoffice.core.db import utcnow
from eoffice.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    Translatable,
    ValidationFailed,
)
from eoffice.core.permissions import require
from eoffice.core.storage import file_store as store
from eoffice.documents import keys, numbering
from eoffice.extensions import db
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.interop.hub_client import HubClientError
from eoffice.interop.models import OutboxMessage
from eoffice.notifications import feeds as notification_feeds
from eoffice.orgs import groups
from eoffice.orgs.artwork import seal_diameter_for_tier
from eoffice.orgs.models import Organization
from eoffice.outgoing import files, workflow
from eoffice.outgoing import policy as _policy  # noqa: F401  (declares outgoing.* rules)
from eoffice.outgoing.compose import MM, ComposeInput, compose_pdf
from eoffice.outgoing.detect import detect_layout
from eoffice.outgoing.models import (
    AUTHORITIES,
    CONFIDENTIALITIES,
    URGENCIES,
    OutgoingAttachment,
    OutgoingDocument,
    OutgoingEvent,
    OutgoingRecipient,
    OutgoingRegisterEntry,
    OutgoingVersion,
)
from eoffice.search.service import queue_extraction
from signing import errors as signing_errors

PRIORITY = {"": 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3}
URGENCY_LABELS = {"": "Thường", "khan": "Khẩn", "thuong_khan": "Thượng khẩn", "hoa_toc": "Hỏa tốc"}
CONFIDENTIALITY_LABELS = {"": "Thường", "mat": "Mật", "toi_mat": "Tối mật",
                          "tuyet_mat": "Tuyệt mật"}
CONFIDENTIAL_REFUSAL = (
    "Văn bản mật không được gửi qua mạng: văn bản có nội dung bí mật nhà nước không thuộc "
    "phạm vi gửi, nhận văn bản điện tử (QĐ 28/2018/QĐ-TTg; Luật Bảo vệ bí mật nhà nước "
    "29/2018/QH14). Hãy gửi bản giấy theo chế độ mật."
)


# ---------------------------------------------------------------------------------------
# small helpers


def _event(actor: Any, doc: OutgoingDocument, action: str, before: str, comment: str = "",
           **details: Any) -> None:
    doc.events.append(OutgoingEvent(action=action, from_status=before, to_status=doc.status,
                                    comment=comment, actor_id=getattr(actor, "id", None),
                                    actor_name=getattr(actor, "full_name", "") or ""))
    db.session.flush()
    audit.record(actor, f"outgoing.{action}", doc, org_id=doc.org_id,
                 details={"from": before, "to": doc.status, "comment": comment, **details})
    notification_feeds.outgoing_step(actor, doc, action, comment)


def _add_version(actor: Any, doc: OutgoingDocument, pdf: bytes, reason: str) -> None:
    digest = store().put(pdf)
    seq = (max((v.seq for v in doc.versions), default=0)) + 1
    doc.versions.append(OutgoingVersion(seq=seq, digest=digest, size=len(pdf), reason=reason,
                                        actor_id=getattr(actor, "id", None)))
    doc.current_digest = digest


def current_pdf(doc: OutgoingDocument) -> bytes:
    """The document's current PDF."""
    return store().get(doc.current_digest)


def vn_date(moment: datetime) -> date:
    """The calendar date in Vietnam of an instant."""
    return moment.astimezone(VN).date()


def date_line(place: str, day: date) -> str:
    """``Kiên Giang, ngày 05 tháng 01 năm 2025`` (Decree 30: leading zero for days below
    10 and for months 1 and 2)."""
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


def layout_to_json(layout: signing.DraftLayout) -> str:
    """Serialise a layout for the database and the API."""
    return json.dumps(asdict(layout))


def layout_from_json(text: str) -> signing.DraftLayout | None:
    """Inverse of :func:`layout_to_json` (``None`` for an empty value)."""
    if not text:
        return None
    return parse_layout(json.loads(text))


def parse_layout(data: Any, *, seal_size: float | None = None) -> signing.DraftLayout:
    """A layout from JSON (API ``meta.layout`` / the web picker); 422 if malformed."""
    try:
        def box(value: Any) -> signing.Box:
            if isinstance(value, dict):
                value = [value["x0"], value["y0"], value["x1"], value["y1"]]
            x0, y0, x1, y1 = (float(v) for v in value)
            if x1 <= x0 or y1 <= y0:
                raise ValueError("empty box")
            return signing.Box(x0, y0, x1, y1)

        number_page = data.get("number_page")
        return signing.DraftLayout(
            page=int(data.get("page", 0)), number_box=box(data["number_box"]),
            date_box=box(data["date_box"]), leader_box=box(data["leader_box"]),
            seal_size=float(seal_size or data.get("seal_size") or signing.sign.DEFAULT_SEAL_SIZE),
            number_page=None if number_page is None else int(number_page))
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ValidationFailed(
            "Vị trí số, ngày và chữ ký (layout) không hợp lệ: cần number_box, date_box, "
            "leader_box dạng [x0, y0, x1, y1].", details={"field": "layout"}) from None


def seal_size_for(org: Organization) -> float:
    """The body's seal diameter at true size, in points."""
    try:
        return seal_diameter_for_tier(org.tier_key) * MM
    except ValueError:
        return signing.sign.DEFAULT_SEAL_SIZE


def get_document(doc_id: int) -> OutgoingDocument:
    """Load a document (404 if unknown)."""
    doc = db.session.get(OutgoingDocument, doc_id)
    if doc is None:
        raise NotFound("Không tìm thấy văn bản đi.")
    return doc


def load_for(actor: Any, doc_id: int) -> OutgoingDocument:
    """Load a document the actor may see; another body's document answers 404."""
    doc = get_document(doc_id)
    if getattr(actor, "org_id", None) != doc.org_id and not getattr(actor, "is_system", False):
        raise NotFound("Không tìm thấy văn bản đi.")
    require(actor, "outgoing.view", doc)
    return doc


# ---------------------------------------------------------------------------------------
# drafting


@dataclass(frozen=True)
class Recipient:
    """A resolved addressee."""

    code: str
    name: str
    internal: bool


def _hub_directory() -> dict[str, str]:
    try:
        agencies = interop.hub_client().get_agencies()
    except (Conflict, HubClientError, OSError):
        return {}
    return {str(a.get("code") or a.get("OrganId") or a.get("organ_id") or ""):
            str(a.get("name") or a.get("OrganName") or a.get("organ_name") or "")
            for a in agencies}


def resolve_recipients(codes: list[str], sender: Organization) -> list[Recipient]:
    """Bodies of this installation by code, else the hub directory; 422 for unknown codes."""
    cleaned: list[str] = []
    for code in codes:
        code = (code or "").strip()
        if code and code not in cleaned:
            cleaned.append(code)
    if not cleaned:
        raise ValidationFailed("Chưa chọn nơi nhận.", details={"field": "recipients"})
    local = {o.code: o for o in db.session.execute(
        sa.select(Organization).where(Organization.code.in_(cleaned))).scalars()}
    directory: dict[str, str] | None = None
    out: list[Recipient] = []
    for code in cleaned:
        if code == sender.code:
            raise ValidationFailed("Không gửi văn bản cho chính cơ quan ban hành.",
                                   details={"field": "recipients", "code": code})
        org = local.get(code)
        if org is not None and org.is_body and org.is_active:
            out.append(Recipient(code, org.name, True))
            continue
        if directory is None:
            directory = _hub_directory()
        if code in directory:
            out.append(Recipient(code, directory[code] or code, False))
            continue
        raise ValidationFailed("Mã cơ quan nhận “%(code)s” không có trong danh bạ.",
                               params={"code": code},
                               details={"field": "recipients", "code": code})
    return out


def _check_meta(*, subject: str, urgency: str, confidentiality: str, authority: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise ValidationFailed("Trích yếu không được để trống.", details={"field": "subject"})
    if len(subject) > 500:
        raise ValidationFailed("Trích yếu dài quá 500 ký tự.", details={"field": "subject"})
    if urgency not in URGENCIES:
        raise ValidationFailed("Độ khẩn không hợp lệ (thường, khan, thuong_khan, hoa_toc).",
                               details={"field": "urgency"})
    if confidentiality not in CONFIDENTIALITIES:
        raise ValidationFailed("Độ mật không hợp lệ (mat, toi_mat, tuyet_mat).",
                               details={"field": "confidentiality"})
    if authority not in AUTHORITIES:
        raise ValidationFailed("Thẩm quyền ký không hợp lệ (TM., KT., TL., TUQ., Q.).",
                               details={"field": "authority"})
    return subject


def _find_signer(org: Organization, username: str) -> User:
    signer = db.session.execute(sa.select(User).where(User.username == (username or "").strip())
                                ).scalar_one_or_none()
    if signer is None or signer.org_id != org.id or not signer.has_role("leader") \
            or not signer.active:
        raise ValidationFailed("Người ký “%(username)s” không phải lãnh đạo của cơ quan.",
                               params={"username": username},
                               details={"field": "signer"})
    return signer


def _check_response_for(value: str) -> str:
    value = (value or "").strip()
    if value and edxml.parse_document_id(value) is None:
        raise ValidationFailed("Văn bản được trả lời phải ghi theo mã DocumentId "
                               "(mã cơ quan,yyyy/MM/dd,số/ký hiệu).",
                               details={"field": "response_for"})
    return value


def _compose(doc: OutgoingDocument, content: str) -> tuple[bytes, signing.DraftLayout]:
    org, doc_type = doc.org, doc.document_type
    parent = org.parent.name if org.parent is not None and org.short_name.upper() != "UBND" \
        else ""
    data = ComposeInput(
        body_name=org.name, parent_name=parent, locality=org.locality or "",
        type_name=doc_type.name, is_cong_van=not doc_type.abbreviation, subject=doc.subject,
        content=content, signer_name=doc.signer.full_name,
        signer_title=doc.signer.title or "Thủ trưởng", authority=doc.authority,
        recipients=tuple(r.org_name for r in doc.recipients) + tuple(groups.group_names(doc)),
        keep_unit=doc.unit.short_name if doc.unit is not None else "",
        urgency=doc.urgency, confidentiality=doc.confidentiality,
        year=vn_date(utcnow()).year)
    pdf, layout = compose_pdf(data)
    return pdf, signing.DraftLayout(page=layout.page, number_box=layout.number_box,
                                    date_box=layout.date_box, leader_box=layout.leader_box,
                                    seal_size=seal_size_for(org), number_page=layout.number_page)


def _apply_file(actor: Any, doc: OutgoingDocument, *, file: bytes | None, filename: str,
                body: str | None, layout: Any, reason: str) -> None:
    if body is not None:
        if not body.strip():
            raise ValidationFailed("Nội dung văn bản không được để trống.",
                                   details={"field": "body"})
        pdf, drawn = _compose(doc, body)
        doc.source, doc.body_text = "compose", body
        doc.layout_json, doc.layout_detected = layout_to_json(drawn), True
        _add_version(actor, doc, pdf, reason if reason != "upload" else "compose")
        return
    if file is None:
        raise ValidationFailed("Cần tải lên tệp PDF/DOCX hoặc soạn nội dung văn bản.",
                               details={"field": "file"})
    pdf, source = files.to_pdf(file, filename)
    doc.source, doc.body_text = source, ""
    if layout is not None:
        chosen = parse_layout(layout, seal_size=seal_size_for(doc.org))
        doc.layout_json, doc.layout_detected = layout_to_json(chosen), False
    else:
        found = detect_layout(pdf, seal_size=seal_size_for(doc.org))
        doc.layout_json = layout_to_json(found.layout) if found.layout else ""
        doc.layout_detected = found.layout is not None
    _add_version(actor, doc, pdf, reason if reason != "upload" else source)


def create_draft(
    actor: Any,
    *,
    doc_type: str,
    subject: str,
    recipients: list[str],
    signer: str,
    urgency: str = "",
    confidentiality: str = "",
    due_date: date | None = None,
    response_for: str = "",
    authority: str | None = None,
    file: bytes | None = None,
    filename: str = "",
    body: str | None = None,
    layout: Any = None,
    attachments: list[tuple[str, bytes]] | None = None,
    recipient_groups: list[Any] | None = None,
) -> OutgoingDocument:
    """A new draft from an uploaded PDF/DOCX (``file``) or composed from ``body``."""
    org = actor.org.body if actor.org is not None else None
    require(actor, "outgoing.create", org)
    subject = _check_meta(subject=subject, urgency=urgency or "",
                          confidentiality=confidentiality or "", authority=authority or "")
    dtype = numbering.find_document_type(org, doc_type)
    signer_user = _find_signer(org, signer)
    # recipient groups may stand in for the hand-picked bodies (resolved again at issue)
    resolved = resolve_recipients(recipients, org) if recipients or not recipient_groups \
        else []
    source = ""
    if file is not None and body is None:  # refuse a bad upload before any row exists
        file, source = files.to_pdf(file, filename)
    if authority is None:
        authority = "TM." if org.short_name.upper() == "UBND" else ""
    doc = OutgoingDocument(
        org_id=org.id, org=org, unit_id=actor.unit_id, unit=actor.unit, created_by_id=actor.id,
        signer_id=signer_user.id, signer=signer_user, document_type_id=dtype.id,
        document_type=dtype, subject=subject, urgency=urgency or "",
        confidentiality=confidentiality or "", due_date=due_date,
        response_for=_check_response_for(response_for), authority=authority, status="draft",
        current_digest="")
    doc.recipients = [OutgoingRecipient(org_code=r.code, org_name=r.name, internal=r.internal)
                      for r in resolved]
    db.session.add(doc)
    groups.choose_for_draft(actor, doc, recipient_groups)
    _apply_file(actor, doc, file=file, filename=filename, body=body, layout=layout,
                reason="upload")
    doc.source = source or doc.source
    for name, data in attachments or []:
        _add_attachment(doc, name, data)
    db.session.flush()
    _event(actor, doc, "create", "", source=doc.source, subject=doc.subject)
    return doc


def _add_attachment(doc: OutgoingDocument, name: str, data: bytes) -> None:
    files.check_pdf(data, what=Translatable("Tệp đính kèm “%(name)s”", name=name))
    doc.attachments.append(OutgoingAttachment(name=(name or "dinh-kem.pdf")[:255],
                                              digest=store().put(data), size=len(data)))


def update_draft(actor: Any, doc: OutgoingDocument, *, file: bytes | None = None,
                 filename: str = "", body: str | None = None, layout: Any = None,
                 subject: str | None = None, recipients: list[str] | None = None,
                 urgency: str | None = None, confidentiality: str | None = None,
                 due_date: date | None = None, signer: str | None = None,
                 attachments: list[tuple[str, bytes]] | None = None,
                 comment: str = "", recipient_groups: list[Any] | None = None
                 ) -> OutgoingDocument:
    """The drafter edits a draft or a returned document: metadata and/or a new version."""
    require(actor, "outgoing.edit", doc)
    workflow.check("edit", doc.status)
    doc.subject = _check_meta(subject=doc.subject if subject is None else subject,
                              urgency=doc.urgency if urgency is None else urgency,
                              confidentiality=(doc.confidentiality if confidentiality is None
                                               else confidentiality),
                              authority=doc.authority)
    if urgency is not None:
        doc.urgency = urgency
    if confidentiality is not None:
        doc.confidentiality = confidentiality
    if due_date is not None:
        doc.due_date = due_date
    if signer is not None:
        doc.signer = _find_signer(doc.org, signer)
    if recipient_groups is not None:
        groups.choose_for_draft(actor, doc, recipient_groups)
    if recipients is not None:
        resolved = resolve_recipients(recipients, doc.org) \
            if recipients or not doc.group_choices else []
        doc.recipients = [OutgoingRecipient(org_code=r.code, org_name=r.name,
                                            internal=r.internal) for r in resolved]
        db.session.flush()
    if file is not None or body is not None:
        _apply_file(actor, doc, file=file, filename=filename, body=body, layout=layout,
                    reason="edit")
    elif layout is not None:
        set_layout(actor, doc, layout)
    for name, data in attachments or []:
        _add_attachment(doc, name, data)
    db.session.flush()
    _event(actor, doc, "edit", doc.status, comment)
    return doc


def set_layout(actor: Any, doc: OutgoingDocument, layout: Any) -> OutgoingDocument:
    """The drafter places the number, date and signature boxes by hand."""
    require(actor, "outgoing.edit", doc)
    workflow.check("edit", doc.status)
    chosen = parse_layout(layout, seal_size=seal_size_for(doc.org))
    pages = files.check_pdf(current_pdf(doc))
    if not (0 <= chosen.page < pages):
        raise ValidationFailed("Trang %(page)d không có trong văn bản.",
                               params={"page": chosen.page + 1},
                               details={"field": "layout"})
    doc.layout_json, doc.layout_detected = layout_to_json(chosen), False
    db.session.flush()
    audit.record(actor, "outgoing.layout", doc, org_id=doc.org_id, details=asdict(chosen))
    return doc


# ---------------------------------------------------------------------------------------
# review


def _heads_of(doc: OutgoingDocument) -> list[User]:
    if doc.unit_id is None:
        return []
    users = db.session.execute(sa.select(User).where(User.unit_id == doc.unit_id,
                                                     User.active.is_(True))).scalars()
    return [u for u in users if u.has_role("head")]


def submit(actor: Any, doc: OutgoingDocument, *, comment: str = "",
           to_head: bool | None = None) -> OutgoingDocument:
    """The drafter submits: to the unit head when there is one (unless ``to_head`` is
    False), else straight to the chosen signer."""
    require(actor, "outgoing.submit", doc)
    before = doc.status
    doc.status = workflow.check("submit", doc.status)
    if not doc.layout_json:
        raise ValidationFailed("Chưa xác định vị trí số, ngày và chữ ký trên dự thảo: hãy chọn "
                               "vị trí trên trang xem trước.", details={"field": "layout"})
    heads = _heads_of(doc)
    use_head = bool(heads) if to_head is None else (to_head and bool(heads))
    doc.review_stage = "head" if use_head and actor not in heads else "leader"
    _event(actor, doc, "submit", before, comment, stage=doc.review_stage)
    return doc


def approve(actor: Any, doc: OutgoingDocument, *, comment: str = "") -> OutgoingDocument:
    """The unit head forwards to the signer; the signer approves (ready to sign)."""
    require(actor, "outgoing.review", doc)
    before = doc.status
    target = workflow.check("approve", doc.status)
    if doc.review_stage == "head":
        if not _policy.is_unit_head(actor, doc):
            raise PermissionDenied("Dự thảo đang chờ lãnh đạo đơn vị duyệt.")
        doc.review_stage = "leader"
        _event(actor, doc, "forward", before, comment)
        return doc
    if not _policy.is_signer(actor, doc):
        raise PermissionDenied("Chỉ người ký được chọn mới duyệt được dự thảo ở bước này.")
    doc.status = target
    _event(actor, doc, "approve", before, comment)
    return doc


def return_draft(actor: Any, doc: OutgoingDocument, *, comment: str) -> OutgoingDocument:
    """Send back to the drafter with a comment (in review, or approved instead of signing)."""
    require(actor, "outgoing.review", doc)
    before = doc.status
    target = workflow.check("return", doc.status)
    if not (comment or "").strip():
        raise ValidationFailed("Cần ghi ý kiến khi trả lại dự thảo.", details={"field": "comment"})
    if doc.status == "approved" and not _policy.is_signer(actor, doc):
        raise PermissionDenied("Chỉ người ký trả lại được dự thảo đã duyệt.")
    doc.status, doc.review_stage = target, ""
    _event(actor, doc, "return", before, comment.strip())
    return doc


# ---------------------------------------------------------------------------------------
# signing


def _sign_options(level: signing.PadesLevel) -> signing.SignOptions:
    return signing.SignOptions(level=level, timestamps=keys.timestamps(),
                               revocation=keys.revocation(), trust_roots=keys.trust_roots())


def _signing_error(exc: signing_errors.SigningLibraryError) -> DomainError:
    reason = {"reason": Translatable(exc.message_vi, en=exc.message_en)}
    if isinstance(exc, signing_errors.WrongPinError):
        return ValidationFailed("Mã PIN không đúng.", details={"field": "pin"})
    if isinstance(exc, signing_errors.TimestampError):
        return Conflict("Không lấy được dấu thời gian: %(reason)s. Vui lòng thử lại sau.",
                        params=reason, details={"reason": "tsa"})
    if isinstance(exc, signing_errors.PdfReadError | signing_errors.DraftNotPreparedError
                  | signing_errors.DocumentStateError | signing_errors.ExternalSigningError):
        return ValidationFailed("Không ký được văn bản: %(reason)s.", params=reason)
    return Conflict("Ký số không thành công: %(reason)s.", params=reason)


def _prepared(doc: OutgoingDocument) -> bytes:
    layout = layout_from_json(doc.layout_json)
    if layout is None:
        raise ValidationFailed("Dự thảo chưa có vị trí số, ngày và chữ ký.",
                               details={"field": "layout"})
    return signing.prepare_draft(current_pdf(doc), layout)


def _signer_key(actor: Any, pin: str) -> signing.SignerKey:
    record = keys.active_key("user", actor.id)
    if record is None:
        raise Conflict("Bạn chưa có chứng thư số để ký. Liên hệ quản trị.")
    if not actor.signature_image:
        raise Conflict("Chưa có mẫu chữ ký (ảnh) của người ký. Liên hệ quản trị.")
    if not pin:
        raise ValidationFailed("Cần nhập mã PIN.", details={"field": "pin"})
    try:
        return keys.load_signer_key(record, pin)
    except signing_errors.SigningLibraryError as exc:
        raise _signing_error(exc) from None


def sign(actor: Any, doc: OutgoingDocument, *, pin: str,
         key: signing.SignerKey | None = None) -> OutgoingDocument:
    """The chosen leader's certification signature (DocMDP 2, B-T) with their image."""
    require(actor, "outgoing.sign", doc)
    before = doc.status
    target = workflow.check("sign", doc.status)
    signer_key = key or _signer_key(actor, pin)
    try:
        prepared = _prepared(doc)
        result = signing.certify_draft(prepared, signer_key,
                                       signature_png=store().get(actor.signature_image),
                                       options=_sign_options(signing.PadesLevel.B_T))
    except signing_errors.SigningLibraryError as exc:
        raise _signing_error(exc) from None
    _add_version(actor, doc, result.pdf, "signed")
    doc.status, doc.signed_at = target, utcnow()
    _event(actor, doc, "sign", before)
    return doc


@dataclass(frozen=True)
class BatchResult:
    """The outcome of one document of a batch signature."""

    id: int
    ok: bool
    status: str
    message: str
    error: DomainError | None = None  # the refusal, for showing it in the reader's language


def sign_batch(actor: Any, doc_ids: list[int], *, pin: str) -> list[BatchResult]:
    """Sign several approved drafts with one PIN; a failure in one does not stop the others
    (each runs in its own savepoint)."""
    if not doc_ids:
        raise ValidationFailed("Chưa chọn văn bản nào để ký.")
    key = None
    results: list[BatchResult] = []
    for doc_id in doc_ids:
        savepoint = db.session.begin_nested()
        try:
            doc = load_for(actor, doc_id)
            if key is None:
                require(actor, "outgoing.sign", doc)
                key = _signer_key(actor, pin)
            sign(actor, doc, pin=pin, key=key)
            savepoint.commit()
            results.append(BatchResult(doc_id, True, doc.status, "Đã ký."))
        except DomainError as exc:
            savepoint.rollback()
            results.append(BatchResult(doc_id, False, "", exc.message, exc))
            if isinstance(exc, ValidationFailed) and exc.details.get("field") == "pin":
                results.extend(BatchResult(i, False, "", exc.message, exc)
                               for i in doc_ids[len(results):])
                break
    return results


def prepare_external_signing(actor: Any, doc: OutgoingDocument, *, certificate: bytes,
                             chain: list[bytes] | None = None) -> signing.ExternalSigningRequest:
    """Step 1 of token signing: the placeholder and the attributes the token signs."""
    require(actor, "outgoing.sign", doc)
    workflow.check("sign", doc.status)
    if not actor.signature_image:
        raise Conflict("Chưa có mẫu chữ ký (ảnh) của người ký. Liên hệ quản trị.")
    try:
        from signing.appearance import person_appearance

        request = signing.prepare_external(
            _prepared(doc), certificate, chain=chain or [],
            options=signing.SignOptions(
                field_name=signing.sign.LEADER_FIELD, certify=True,
                appearance=person_appearance(store().get(actor.signature_image)),
                level=signing.PadesLevel.B_T))
    except signing_errors.SigningLibraryError as exc:
        raise _signing_error(exc) from None
    doc.external_handle_digest = store().put(request.handle)
    db.session.flush()
    audit.record(actor, "outgoing.sign_prepare", doc, org_id=doc.org_id)
    return request


def complete_external_signing(actor: Any, doc: OutgoingDocument, *, signature: bytes
                              ) -> OutgoingDocument:
    """Step 2: embed the token's signature; the document becomes signed."""
    require(actor, "outgoing.sign", doc)
    before = doc.status
    target = workflow.check("sign", doc.status)
    if not doc.external_handle_digest:
        raise Conflict("Chưa có phiên ký ngoài (gọi sign/prepare trước).")
    try:
        result = signing.complete_external(
            store().get(doc.external_handle_digest), signature,
            timestamps=keys.timestamps(), revocation=keys.revocation(),
            trust_roots=keys.trust_roots())
        report = signing.validate_pdf(result.pdf, keys.validation_settings())
    except signing_errors.SigningLibraryError as exc:
        raise _signing_error(exc) from None
    signer = report.signatures[0] if report.signatures else None
    if signer is None or not signer.intact or not signer.trusted:
        raise ValidationFailed("Chữ ký nhận về không hợp lệ hoặc chứng thư không được tin cậy.")
    _add_version(actor, doc, result.pdf, "signed_external")
    doc.status, doc.signed_at, doc.external_handle_digest = target, utcnow(), None
    _event(actor, doc, "sign", before, external=True)
    return doc


# ---------------------------------------------------------------------------------------
# issuing and dispatch


def seal_level() -> signing.PadesLevel:
    """The body's signature level (``OUTGOING_SEAL_LEVEL``: B-LT or B-LTA)."""
    value = current_app.config.get("OUTGOING_SEAL_LEVEL", "B-LTA")
    level = signing.PadesLevel(value)
    if level.rank < signing.PadesLevel.B_LT.rank:
        raise ValueError("OUTGOING_SEAL_LEVEL must be B-LT or B-LTA")
    return level


def issue(actor: Any, doc: OutgoingDocument, *, replaces: OutgoingDocument | None = None
          ) -> OutgoingDocument:
    """Number, date, body signature, attachments, register row, then dispatch."""
    require(actor, "outgoing.issue", doc)
    before = doc.status
    target = workflow.check("issue", doc.status)
    if replaces is not None:
        require(actor, "outgoing.dispatch", replaces)
        workflow.check("replace", replaces.status)
    org = doc.org
    if not org.seal_image:
        raise Conflict("Cơ quan chưa có ảnh con dấu để ký số.")
    now = utcnow()
    day = vn_date(now)
    register = numbering.register_for(org, "outgoing", doc_type=doc.document_type,
                                      confidential=doc.is_confidential)
    number = numbering.next_number(register, day)
    number_text = numbering.format_number(number)
    notation = numbering.notation(doc.document_type, org, doc.unit)
    code = f"{number_text}/{notation}"
    level = seal_level()
    try:
        body_key = keys.load_body_key(org)
        filled = signing.fill_number(current_pdf(doc), number=code,
                                     date_line=date_line(org.locality or "", day))
        sealed = signing.seal_document(filled, body_key, seal_png=store().get(org.seal_image),
                                       options=_sign_options(level))
        sealed_attachments = [
            signing.sign_attachment(store().get(att.digest), body_key, main_number=code,
                                    body_name=org.name, options=_sign_options(level),
                                    signed_at=now).pdf
            for att in doc.attachments]
    except signing_errors.SigningLibraryError as exc:
        raise _signing_error(exc) from None
    for att, pdf in zip(doc.attachments, sealed_attachments, strict=True):
        att.sealed_digest = store().put(pdf)
    _add_version(actor, doc, sealed.pdf, "issued")
    doc.register_id, doc.number, doc.number_text, doc.notation = register.id, number, \
        number_text, notation
    doc.issued_at, doc.issued_on, doc.issued_by_id = now, day, actor.id
    doc.document_id = edxml.make_document_id(org.code, day, number_text, notation)
    doc.status = target
    groups.expand_on_issue(doc, on=day)
    if not active_recipients(doc):
        raise Conflict("Văn bản không còn nơi nhận nào (các nhóm nơi nhận không còn cơ quan).")
    queue_extraction("outgoing", doc.id)
    db.session.add(OutgoingRegisterEntry(
        register_id=register.id, year=day.year, number=number, document_id=doc.id, code=code,
        issued_on=day, type_and_subject=f"{doc.document_type.name}: {doc.subject}",
        signer_name=doc.signer.full_name,
        recipients="; ".join(r.org_name for r in doc.recipients),
        keeper=f"VT{', ' + doc.unit.short_name if doc.unit else ''}",
        note=CONFIDENTIALITY_LABELS[doc.confidentiality] if doc.is_confidential else ""))
    db.session.flush()
    _event(actor, doc, "issue", before, number=code, register=register.id,
           level=level.value)
    if replaces is not None:
        replaces_before = replaces.status
        replaces.status, replaces.replaced_by_id = "replaced", doc.id
        _event(actor, replaces, "replace", replaces_before, replaced_by=code)
    if not doc.is_confidential:
        send(actor, doc, replaces=replaces)
    return doc


def active_recipients(doc: OutgoingDocument) -> list[OutgoingRecipient]:
    """The document's addressees, without those an update removed."""
    return [r for r in doc.recipients if r.active]


def _packet(doc: OutgoingDocument, recipient: OutgoingRecipient, *, business_doc_type: int = 0,
            reason: str = "", replaces: OutgoingDocument | None = None,
            added: tuple[str, ...] = (), removed: tuple[str, ...] = (),
            with_files: bool = True) -> bytes:
    org = doc.org
    atts = [edxml.Attachment(content_id="1", name=f"{doc.number_text}-{doc.notation}.pdf"
                             .replace("/", "-"), content_type="application/pdf",
                             description=doc.subject[:200], data=current_pdf(doc))
            ] if with_files else []
    for i, att in enumerate(doc.attachments if with_files else [], start=2):
        atts.append(edxml.Attachment(content_id=str(i), name=att.name,
                                     content_type="application/pdf",
                                     description=f"Kèm theo văn bản số {doc.code}",
                                     data=store().get(att.sealed_digest or att.digest)))
    response_for = ()
    if doc.response_for:
        parts = edxml.parse_document_id(doc.response_for)
        if parts is not None:
            response_for = (edxml.ResponseFor(organ_id=parts[0], code=f"{parts[2]}/{parts[3]}",
                                              promulgation_date=parts[1],
                                              document_id=doc.response_for),)
    packet = edxml.EdocPacket(
        document_id=doc.document_id,
        sender=edxml.Organization(organ_id=org.code, organ_name=org.name,
                                  organization_in_charge=org.parent.name if org.parent else "",
                                  organ_add=org.address, email=org.email, telephone=org.phone),
        recipients=(edxml.Organization(organ_id=recipient.org_code,
                                       organ_name=recipient.org_name),),
        code_number=doc.number_text, code_notation=doc.notation, subject=doc.subject,
        place=org.locality or "", promulgation_date=doc.issued_on,
        doc_type=doc.document_type.edxml_type, type_name=doc.document_type.name,
        signer_competence=doc.authority, signer_position=doc.signer.title,
        signer_full_name=doc.signer.full_name, due_date=doc.due_date,
        to_places=tuple(r.org_name for r in active_recipients(doc)),
        priority=PRIORITY[doc.urgency],
        response_for=response_for, business_doc_type=business_doc_type,
        business_doc_reason=reason,
        business_document_id=(replaces.document_id if replaces is not None
                              else doc.document_id if business_doc_type in (1, 2) else ""),
        business_document_receiver=1 if added or removed else 0,
        receivers_added=added, receivers_removed=removed,
        replaces=(replaces.document_id,) if replaces is not None else (),
        replacement_info=((edxml.ReplacementInfo(
            document_id=replaces.document_id,
            organ_ids=tuple(r.org_code for r in active_recipients(replaces))),)
            if replaces is not None else ()),
        promulgation_amount=len(active_recipients(doc)), attachments=tuple(atts),
        staff_department="Văn thư", staff_name=doc.issued_by.full_name if doc.issued_by else "")
    try:
        return edxml.build_edoc(packet, signer=interop.packet_signer(org.code))
    except edxml.EdxmlError as exc:
        raise ValidationFailed("Không lập được gói tin edXML: %(reason)s", params={
            "reason": Translatable(exc.reason, en=exc.reason_en or None)}) from None


def send(actor: Any, doc: OutgoingDocument, *, replaces: OutgoingDocument | None = None
         ) -> OutgoingDocument:
    """Write one edXML packet per recipient to the outbox (delivered after commit)."""
    require(actor, "outgoing.dispatch", doc)
    if doc.is_confidential:
        raise Conflict(CONFIDENTIAL_REFUSAL, details={"reason": "confidential",
                                                      "legal_basis": "QĐ 28/2018/QĐ-TTg"})
    before = doc.status
    target = workflow.check("send", doc.status)
    kind = 3 if replaces is not None else 0
    for recipient in active_recipients(doc):
        interop.enqueue_packet(
            packet=_packet(doc, recipient, business_doc_type=kind, replaces=replaces),
            message_type="edoc", from_code=doc.org.code, to_codes=[recipient.org_code],
            document_id=doc.document_id, subject=doc.subject, source=("outgoing", doc.id))
    doc.status = target
    _event(actor, doc, "send", before,
           recipients=[r.org_code for r in active_recipients(doc)])
    return doc


def revoke(actor: Any, doc: OutgoingDocument, *, reason: str) -> OutgoingDocument:
    """Revoke an issued document; the recipients get a revocation packet (type 1)."""
    require(actor, "outgoing.dispatch", doc)
    before = doc.status
    target = workflow.check("revoke", doc.status)
    if not (reason or "").strip():
        raise ValidationFailed("Cần ghi lý do thu hồi.", details={"field": "reason"})
    if before == "sent":
        for recipient in active_recipients(doc):
            interop.enqueue_packet(
                packet=_packet(doc, recipient, business_doc_type=1, reason=reason.strip()),
                message_type="edoc", from_code=doc.org.code, to_codes=[recipient.org_code],
                document_id=doc.document_id, subject=f"Thu hồi: {doc.subject}",
                source=("outgoing", doc.id))
    doc.status, doc.revoke_reason = target, reason.strip()
    _event(actor, doc, "revoke", before, reason.strip())
    return doc


def dead_letters(doc: OutgoingDocument) -> list[OutboxMessage]:
    """The document's packets that could not be delivered."""
    return list(db.session.execute(
        sa.select(OutboxMessage).where(OutboxMessage.source_type == "outgoing",
                                       OutboxMessage.source_id == doc.id,
                                       OutboxMessage.state == "dead")
        .order_by(OutboxMessage.id)).scalars())


def resend(actor: Any, doc: OutgoingDocument, message_id: int) -> OutboxMessage:
    """The clerk puts a dead letter of this document back in the queue."""
    require(actor, "outgoing.dispatch", doc)
    message = interop.get_outbox_message(message_id)
    if message.source_type != "outgoing" or message.source_id != doc.id:
        raise NotFound("Không tìm thấy gói tin của văn bản này.")
    interop.resend(actor, message)
    _event(actor, doc, "resend", doc.status, to=message.to_codes)
    return message


# ---------------------------------------------------------------------------------------
# after dispatch: take-back (status 13 → 15/16) and recipient updates (BussinessDocType 2)


def _pick_recipients(doc: OutgoingDocument, codes: list[str] | None
                     ) -> list[OutgoingRecipient]:
    current = active_recipients(doc)
    if codes is None:
        return current
    by_code = {r.org_code: r for r in current}
    chosen: list[OutgoingRecipient] = []
    for code in codes:
        code = (code or "").strip()
        if code not in by_code:
            raise ValidationFailed("“%(code)s” không phải nơi nhận hiện tại của văn bản.",
                                   params={"code": code},
                                   details={"field": "recipients", "code": code})
        if by_code[code] not in chosen:
            chosen.append(by_code[code])
    if not chosen:
        raise ValidationFailed("Chưa chọn nơi nhận.", details={"field": "recipients"})
    return chosen


def _staff_of(actor: Any) -> str:
    return getattr(actor, "full_name", "") or ""


def request_takeback(actor: Any, doc: OutgoingDocument, *, reason: str,
                     recipients: list[str] | None = None) -> OutgoingDocument:
    """The clerk asks the recipients (all current ones, or those listed by code) to give the
    sent document back: status 13 with the reason; each answers 15 (agrees) or 16.

    Asking every current recipient is ONE packet the hub hands to each body the document
    went to; a subset gets one packet per body, each naming it in ``ResponseFor/OrganId``.
    """
    require(actor, "outgoing.dispatch", doc)
    workflow.check("takeback", doc.status)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do đề nghị lấy lại văn bản.",
                               details={"field": "reason"})
    chosen = _pick_recipients(doc, recipients)
    pending = [r.org_code for r in chosen if r.takeback == "requested"]
    if pending:
        raise Conflict("Đã đề nghị lấy lại văn bản, đang chờ nơi nhận trả lời: "
                       + ", ".join(pending) + ".", details={"recipients": pending})
    org = doc.org
    sender = edxml.Organization(organ_id=org.code, organ_name=org.name)
    everyone = len(chosen) == len(doc.recipients)  # nobody removed, nobody left out
    targets = [org.code] if everyone else [r.org_code for r in chosen]
    for target in targets:
        interop.emit_status(
            sender=sender,
            response_for=edxml.ResponseFor(organ_id=target, code=doc.code,
                                           promulgation_date=doc.issued_on,
                                           document_id=doc.document_id),
            status_code="13", description=reason[:500], staff_department="Văn thư",
            staff_name=_staff_of(actor), source=("outgoing", doc.id))
    for recipient in chosen:
        recipient.takeback, recipient.takeback_reason = "requested", reason
        recipient.takeback_answer = ""
    _event(actor, doc, "takeback", doc.status, reason,
           recipients=[r.org_code for r in chosen])
    return doc


def receive_status(inbox: Any, packet: edxml.StatusPacket) -> None:
    """Interop status hook: a recipient's answer (15 / 16) to our take-back request."""
    if packet.status_code not in ("15", "16"):
        return
    doc = db.session.execute(
        sa.select(OutgoingDocument).join(Organization, OutgoingDocument.org_id == Organization.id)
        .where(OutgoingDocument.document_id == packet.response_for.document_id,
               Organization.code == inbox.to_code)).scalars().first()
    if doc is None:
        return
    recipient = next((r for r in doc.recipients
                      if r.org_code == packet.sender.organ_id and r.takeback == "requested"),
                     None)
    if recipient is None:
        return  # a 15/16 about a revocation or an update: shown through the delivery status
    accepted = packet.status_code == "15"
    recipient.takeback = "accepted" if accepted else "refused"
    recipient.takeback_answer = (packet.description or "")[:2000]
    _event(None, doc, "takeback_accepted" if accepted else "takeback_refused", doc.status,
           recipient.takeback_answer, recipient=recipient.org_code,
           staff=" - ".join(filter(None, [packet.staff_department, packet.staff_name])))


def update_recipients(actor: Any, doc: OutgoingDocument, *, add: list[str] | None = None,
                      remove: list[str] | None = None, reason: str) -> OutgoingDocument:
    """Change the recipients of a sent document (BussinessDocType 2, DocumentReceiver 1).

    The update packet (ReceiverList: removed bodies type 0, added type 1) goes to the
    remaining and the removed recipients; each added body gets the full document packet
    (it receives the document as new). A removed body freezes its copy and answers 15.
    """
    require(actor, "outgoing.dispatch", doc)
    workflow.check("update_recipients", doc.status)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần ghi lý do cập nhật nơi nhận.", details={"field": "reason"})
    removed = _pick_recipients(doc, remove) if remove else []
    existing = {r.org_code: r for r in doc.recipients}
    add_codes = [c for c in ((c or "").strip() for c in add or []) if c]
    for code in add_codes:
        if code in existing and existing[code].active:
            raise ValidationFailed("“%(code)s” đã là nơi nhận của văn bản.",
                                   params={"code": code},
                                   details={"field": "add", "code": code})
        if code in existing:
            raise Conflict("“%(code)s” đã bị loại khỏi nơi nhận; hãy ban hành văn bản thay thế "
                           "để gửi lại.", params={"code": code},
                           details={"field": "add", "code": code})
    added = resolve_recipients(add_codes, doc.org) if add_codes else []
    if not added and not removed:
        raise ValidationFailed("Chưa chọn nơi nhận cần thêm hoặc bỏ.", details={"field": "add"})
    if len(active_recipients(doc)) - len(removed) + len(added) == 0:
        raise ValidationFailed("Văn bản phải còn ít nhất một nơi nhận; hãy thu hồi văn bản.",
                               details={"field": "remove"})
    now = utcnow()
    for recipient in removed:
        recipient.removed_at = now
    new_rows = [OutgoingRecipient(org_code=r.code, org_name=r.name, internal=r.internal,
                                  added_at=now) for r in added]
    doc.recipients.extend(new_rows)
    db.session.flush()
    added_codes = tuple(r.org_code for r in new_rows)
    removed_codes = tuple(r.org_code for r in removed)
    informed = [r for r in doc.recipients
                if r not in new_rows and (r.active or r.removed_at == now)]
    for recipient in informed:
        interop.enqueue_packet(
            packet=_packet(doc, recipient, business_doc_type=2, reason=reason,
                           added=added_codes, removed=removed_codes, with_files=False),
            message_type="edoc", from_code=doc.org.code, to_codes=[recipient.org_code],
            document_id=doc.document_id, subject=f"Cập nhật nơi nhận: {doc.subject}",
            source=("outgoing", doc.id))
    for recipient in new_rows:
        interop.enqueue_packet(
            packet=_packet(doc, recipient), message_type="edoc", from_code=doc.org.code,
            to_codes=[recipient.org_code], document_id=doc.document_id, subject=doc.subject,
            source=("outgoing", doc.id))
    entry = db.session.execute(sa.select(OutgoingRegisterEntry).where(
        OutgoingRegisterEntry.document_id == doc.id)).scalar_one_or_none()
    if entry is not None:
        entry.recipients = "; ".join(r.org_name for r in active_recipients(doc))
    _event(actor, doc, "update_recipients", doc.status, reason, added=list(added_codes),
           removed=list(removed_codes))
    return doc
