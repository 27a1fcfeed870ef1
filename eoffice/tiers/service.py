"""Forward down: a body's clerk makes an electronic copy (sao y) of a received document and
sends it to some or all of the bodies directly below (a district to its communes) in ONE
action and ONE transaction.

What the copy is (Decree 30, Part II §I; DOMAIN.md §1d.4): the copying body's signature,
no image, with the info text "SAO Y" + the copying body's name + the signing time in ISO
8601 with ``+07:00`` at the top right of page 1 (:func:`signing.sign_copy`).

Incremental update or embedding — embedding. A received Decree 30 document carries the
leader's CERTIFICATION signature (DocMDP 2). Adding the copy's new visible signature field
to that file in an incremental update is a change DocMDP 2 does not permit: pyHanko then
reports the leader's signature as modified ("other") and the whole file as invalid
(``pdfsig``, which only checks byte ranges, would still say valid — measured; see
``tests/signing/test_copy_embedding.py``). So the copy is a new PDF
(:func:`signing.copy.make_copy_base`) that shows the original's pages, annotations
flattened (seal and signature images included), and carries the received PDF byte for
byte as its associated source file; the district signs that new file (B-LT or B-LTA, as
``OUTGOING_SEAL_LEVEL``). The district's signature covers the embedded original, and
every signature of the issuer stays valid inside it (``pdfdetach`` + ``pdfsig``, or
:func:`signing.copy.original_of` + pyHanko). Paper documents taken in by the clerk
(digitised scans) are copied the same way (Điều 25.1c: digitise + body signature).

Preconditions (each refusal leaves nothing numbered and nothing sent, because the
number is taken and the packets written in the same transaction that raises):

* the document is the actor's body's, and the actor is its clerk (``tiers.forward``);
  a body that did not receive the document gets 404, as for any incoming document;
* it is registered (vào sổ: accepted, assigned, processing or completed) — a document
  that was not registered creates no duty (Điều 22), so it is not passed on; refused,
  revoked, replaced or withdrawn documents are refused with 409;
* it is not confidential: State secrets are not sent electronically (QĐ 28/2018);
* an electronic document's received signatures were all valid on arrival;
* every recipient is an active body directly below the forwarding body (403 otherwise).

Numbering: the body's copy register (``numbering.register_for(org, "copy")``), one
gapless yearly series separate from outgoing and incoming numbers; notation ``SY-UBND``.

The packet: ``From`` is the copying body (it signs the packet, numbers the copy, and the
receivers' QCVN 102 statuses come back to it); ``Code``/``DocumentId`` are the copy's;
``DocumentType``, ``Subject``, ``SignerInfo`` and ``Priority`` are the original's; the
original issuer and document travel in the ``CopyOf`` extension element
(:class:`eoffice.interop.edxml.CopyOf`) and in words in ``Content``. The receiving
commune's incoming record shows the district as the sender and the province's document
as the original. One packet per recipient, as outgoing documents are sent.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

import signing
from eoffice.audit import service as audit
from eoffice.core.clock import day_text, today
from eoffice.core.db import utcnow
from eoffice.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Translatable,
    ValidationFailed,
)
from eoffice.core.permissions import can, require
from eoffice.core.storage import file_store as store
from eoffice.documents import keys, numbering
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument, IncomingNote
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.orgs.models import Organization
from eoffice.outgoing.service import _sign_options, _signing_error, seal_level
from eoffice.tiers import policy as _policy  # noqa: F401  (declares the tiers.* rules)
from eoffice.tiers.models import COPY_NOTATIONS, ForwardedCopy, ForwardedCopyRecipient
from signing import errors as signing_errors
from signing.copy import make_copy_base

COPY_FORM = "SAO Y"
REGISTERED = ("accepted", "assigned", "processing", "completed")
CONFIDENTIAL_REFUSAL = ("Văn bản mật không được sao y và gửi qua hệ thống (QĐ 28/2018/QĐ-TTg "
                        "không áp dụng cho văn bản mật).")
_PRIORITY_NAMES = {0: "", 1: "khẩn", 2: "thượng khẩn", 3: "hỏa tốc"}


def bodies_below(org: Organization) -> list[Organization]:
    """The active bodies directly below ``org`` (a district's communes), by code."""
    rows = db.session.execute(
        sa.select(Organization).where(Organization.parent_id == org.id,
                                      Organization.tier_key != "unit",
                                      Organization.code.is_not(None))
        .order_by(Organization.code)).scalars()
    return [o for o in rows if o.is_active]


def can_forward_now(doc: IncomingDocument) -> bool:
    """Whether the document is in a state that may be forwarded (for showing the button)."""
    return (doc.status in REGISTERED and not doc.confidentiality
            and doc.main_file is not None
            and (doc.source == "paper" or doc.verification_ok is True))


def _check_document(doc: IncomingDocument) -> bytes:
    closed = {"status": doc.status}
    if doc.status == "refused":
        raise Conflict("Văn bản đã bị từ chối tiếp nhận, không sao y và chuyển tiếp được.",
                       details=closed)
    if doc.status == "revoked":
        raise Conflict("Văn bản đã bị thu hồi, không sao y và chuyển tiếp được.",
                       details=closed)
    if doc.status == "replaced":
        raise Conflict("Văn bản đã được thay thế bằng văn bản khác, không sao y và chuyển "
                       "tiếp được.", details=closed)
    if doc.status == "withdrawn":
        raise Conflict("Cơ quan gửi đã lấy lại văn bản, không sao y và chuyển tiếp được.",
                       details=closed)
    if doc.confidentiality:
        raise Conflict(CONFIDENTIAL_REFUSAL, details={"reason": "confidential",
                                                      "legal_basis": "QĐ 28/2018/QĐ-TTg"})
    if doc.status not in REGISTERED:
        raise Conflict("Cần vào sổ văn bản đến trước khi sao y và chuyển tiếp.",
                       details={"status": doc.status})
    main = doc.main_file
    if main is None:
        raise Conflict("Văn bản không có tệp PDF để sao y.")
    if doc.source == "electronic" and doc.verification_ok is not True:
        raise Conflict("Chữ ký số của văn bản nhận được không hợp lệ hoặc chưa được kiểm tra; "
                       "không sao y văn bản này.", details={"reason": "invalid_signature"})
    return store().get(main.digest)


def _targets(org: Organization, codes: list[str] | None, all_below: bool
             ) -> list[Organization]:
    below = bodies_below(org)
    if all_below:
        if codes:
            raise ValidationFailed("Chọn danh sách nơi nhận hoặc “tất cả cơ quan cấp dưới”, "
                                   "không chọn cả hai.", details={"field": "recipients"})
        if not below:
            raise Conflict("Cơ quan không có cơ quan cấp dưới nào để chuyển tiếp.")
        return below
    wanted: list[str] = []
    for code in codes or []:
        code = (code or "").strip() if isinstance(code, str) else ""
        if not code:
            raise ValidationFailed("Mã cơ quan nhận không hợp lệ.",
                                   details={"field": "recipients"})
        if code not in wanted:
            wanted.append(code)
    if not wanted:
        raise ValidationFailed("Chưa chọn nơi nhận.", details={"field": "recipients"})
    by_code = {o.code: o for o in below}
    outside = [c for c in wanted if c not in by_code]
    if outside:
        raise PermissionDenied(
            "Chỉ chuyển tiếp được cho cơ quan cấp dưới trực thuộc cơ quan mình; có nơi nhận "
            "không thuộc cấp dưới (xem danh sách mã trong chi tiết lỗi).",
            details={"field": "recipients", "codes": outside})
    return [by_code[c] for c in wanted]


def _original_of(doc: IncomingDocument) -> edxml.CopyOf:
    """The document the copy reproduces: the original itself when ``doc`` is a copy."""
    earlier = doc.original
    if earlier:
        return edxml.CopyOf(
            copy_form=COPY_FORM, organ_id=earlier.get("organ_id") or "",
            organ_name=earlier.get("organ_name") or "", code=earlier.get("code") or "",
            promulgation_date=_date(earlier.get("promulgation_date")),
            document_id=earlier.get("document_id") or "")
    return edxml.CopyOf(copy_form=COPY_FORM, organ_id=doc.issuer_code,
                        organ_name=doc.issuer_name, code=doc.code,
                        promulgation_date=doc.issued_date, document_id=doc.document_id)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _content(original: edxml.CopyOf, org: Organization, code: str) -> str:
    day = day_text(original.promulgation_date)
    parts = [f"Bản sao y số {code} của {org.name} từ văn bản"]
    if original.code:
        parts.append(f"số {original.code}")
    if day:
        parts.append(f"ngày {day}")
    parts.append(f"của {original.organ_name or original.organ_id}")
    return " ".join(parts) + "."


def forward_copy(actor: Any, doc: IncomingDocument, *, recipients: list[str] | None = None,
                 all_below: bool = False) -> ForwardedCopy:
    """Make the sao y of ``doc``, number it in the copy register, send it below."""
    require(actor, "tiers.forward", doc)
    pdf = _check_document(doc)
    org = doc.org
    targets = _targets(org, recipients, all_below)
    now = utcnow()
    day = today(now)
    register = numbering.register_for(org, "copy")
    number = numbering.next_number(register, day)
    number_text = numbering.format_number(number)
    notation = f"{COPY_NOTATIONS[COPY_FORM]}-{org.short_name.upper()}"
    code = f"{number_text}/{notation}"
    try:
        signed = signing.sign_copy(make_copy_base(pdf), keys.load_body_key(org),
                                   copy_form=COPY_FORM, body_name=org.name,
                                   options=_sign_options(seal_level()), signed_at=now)
    except signing_errors.SigningLibraryError as exc:
        raise _signing_error(exc) from None
    original = _original_of(doc)
    copy = ForwardedCopy(
        org=org, incoming_id=doc.id, copy_form=COPY_FORM, register_id=register.id,
        year=day.year, number=number, number_text=number_text, notation=notation,
        copied_on=day, document_id=edxml.make_document_id(org.code or "", day, number_text,
                                                          notation),
        original_document_id=original.document_id, digest=store().put(signed.pdf),
        size=len(signed.pdf), created_by_id=actor.id, created_at=now)
    for body in targets:
        copy.recipients.append(ForwardedCopyRecipient(org_id=body.id, org_code=body.code or "",
                                                      org_name=body.name))
    db.session.add(copy)
    db.session.flush()
    for body in targets:
        interop.enqueue_packet(
            packet=_packet(copy, doc, original, body, signed.pdf, actor, now),
            message_type="edoc", from_code=org.code or "", to_codes=[body.code or ""],
            document_id=copy.document_id, subject=doc.subject, source=("tier_copy", copy.id))
    names = ", ".join(b.name for b in targets)
    db.session.add(IncomingNote(document=doc, author_id=actor.id, kind="system",
                                text=f"Đã sao y số {code} và chuyển tiếp đến: {names}"[:4000]))
    audit.record(actor, "tiers.forwarded", copy, details={
        "incoming_id": doc.id, "code": code, "document_id": copy.document_id,
        "original": original.document_id, "recipients": [b.code for b in targets]})
    db.session.flush()
    return copy


def revoke_copies(doc: IncomingDocument, *, reason: str) -> list[ForwardedCopy]:
    """The issuer revoked the original (``incoming`` froze ``doc``): every sao y made of it
    is revoked at its recipients too — one revocation packet (BussinessDocType 1, DocumentId
    of the copy) per recipient, from the copying body — so that no commune goes on working
    on a revoked directive. Called once per original revocation (a revoked document is not
    revoked again), inside the transaction that stores the revocation."""
    copies = copies_of(doc)
    if not copies:
        return []
    original = _original_of(doc)
    now = utcnow()
    text = (reason or "").strip() or "Cơ quan ban hành văn bản gốc thu hồi văn bản"
    for copy in copies:
        pdf = copy_pdf(copy)
        for recipient in copy.recipients:
            body = db.session.get(Organization, recipient.org_id)
            if body is None:
                continue
            interop.enqueue_packet(
                packet=_packet(copy, doc, original, body, pdf, None, now,
                               business_doc_type=1, reason=text),
                message_type="edoc", from_code=copy.org.code or "",
                to_codes=[recipient.org_code], document_id=copy.document_id,
                subject=f"Thu hồi: {doc.subject}"[:500], source=("tier_copy", copy.id))
        audit.record(None, "tiers.copy_revoked", copy, org_id=copy.org_id, details={
            "code": copy.code, "document_id": copy.document_id, "reason": text,
            "recipients": [r.org_code for r in copy.recipients]})
    db.session.add(IncomingNote(document=doc, kind="system", text=(
        "Đã thu hồi các bản sao y đã chuyển tiếp: " + ", ".join(c.code for c in copies))[:4000]))
    db.session.flush()
    return copies


def _packet(copy: ForwardedCopy, doc: IncomingDocument, original: edxml.CopyOf,
            body: Organization, pdf: bytes, actor: Any, now: datetime, *,
            business_doc_type: int = 0, reason: str = "") -> bytes:
    org = copy.org
    packet = edxml.EdocPacket(
        document_id=copy.document_id,
        sender=edxml.Organization(organ_id=org.code or "", organ_name=org.name,
                                  organization_in_charge=org.parent.name if org.parent else "",
                                  organ_add=org.address, email=org.email, telephone=org.phone),
        recipients=(edxml.Organization(organ_id=body.code or "", organ_name=body.name),),
        code_number=copy.number_text, code_notation=copy.notation, subject=doc.subject,
        place=org.locality or "", promulgation_date=copy.copied_on,
        type_name=doc.type_name, content=_content(original, org, copy.code),
        signer_position=doc.signer_position, signer_full_name=doc.signer_name,
        due_date=doc.sender_due_date, priority=doc.priority if 0 <= doc.priority <= 3 else 0,
        to_places=tuple(r.org_name for r in copy.recipients),
        promulgation_amount=len(copy.recipients),
        attachments=(edxml.Attachment(
            content_id="1", name=f"{copy.number_text}-{copy.notation}.pdf",
            content_type="application/pdf",
            description=f"Bản sao y số {copy.code}", data=pdf),),
        staff_department="Văn thư", staff_name=getattr(actor, "full_name", "") or "",
        business_doc_type=business_doc_type, business_doc_reason=reason,
        business_document_id=copy.document_id if business_doc_type == 1 else "",
        copy_of=original)
    try:
        return edxml.build_edoc(packet, signer=interop.packet_signer(org.code or ""))
    except edxml.EdxmlError as exc:
        raise ValidationFailed("Không lập được gói tin edXML: %(reason)s", params={
            "reason": Translatable(exc.reason, en=exc.reason_en or None)}) from None


# ---------------------------------------------------------------------------------------
# reading


def get_copy(actor: Any, copy_id: int) -> ForwardedCopy:
    """A copy the actor may see: 404 outside the copying body, 403 inside it."""
    copy = db.session.get(ForwardedCopy, copy_id)
    if copy is None or (not getattr(actor, "is_system", False)
                        and copy.org_id != getattr(actor, "org_id", None)):
        raise NotFound("Không tìm thấy bản sao.")
    require(actor, "tiers.view_copy", copy)
    return copy


def can_view(actor: Any, copy: ForwardedCopy) -> bool:
    """Whether ``actor`` may see ``copy``."""
    return can(actor, "tiers.view_copy", copy)


def copies_of(doc: IncomingDocument) -> list[ForwardedCopy]:
    """The copies a body made of one of its incoming documents, newest first."""
    return list(db.session.execute(
        sa.select(ForwardedCopy).where(ForwardedCopy.incoming_id == doc.id)
        .order_by(ForwardedCopy.id.desc())).scalars())


def copy_pdf(copy: ForwardedCopy) -> bytes:
    """The signed copy PDF."""
    return store().get(copy.digest)


def copy_record(copy: ForwardedCopy) -> dict[str, Any]:
    """The JSON shape of a copy, with each recipient's latest QCVN 102 status."""
    statuses = {s.recipient_code: s for s in interop.delivery_statuses(copy.document_id)}
    return {
        "copy_id": copy.id, "number": copy.number_text, "notation": copy.notation,
        "code": copy.code, "copy_form": copy.copy_form, "copied_on": copy.copied_on,
        "document_id": copy.document_id, "original_document_id": copy.original_document_id,
        "incoming_id": copy.incoming_id,
        "recipients": [{
            "org_code": r.org_code, "org_name": r.org_name,
            "status_code": statuses[r.org_code].status_code if r.org_code in statuses else "",
            "updated_at": statuses[r.org_code].updated_at if r.org_code in statuses else None,
        } for r in copy.recipients],
    }
