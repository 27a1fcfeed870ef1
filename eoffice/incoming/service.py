"""The incoming workflow (Decree 30, Điều 21–24): receive, check, register, direct,
process, complete — and answer the issuer at every step.

Every entry point takes the acting user explicitly, checks ``incoming.*`` rules, moves
the document through :data:`TRANSITIONS`, writes the audit event and, for electronic
documents, queues the QCVN 102 status packet back to the issuer in the SAME transaction
(``interop.service.emit_status`` writes an outbox row), so the issuer sees 01 → 03 → 04
→ 05 → 06 exactly when the state changed here. Services only flush; the caller's
``unit_of_work`` commits.

Receipt (:func:`receive_packet`) is the hook interop calls inside the receipt
transaction: it stores the PDFs, validates every signature on arrival (measured with the
in-process PKI: a 1-page B-LT PDF in 0.22 s, a 50-page one in 0.74 s, an unsigned one in
2 ms — so it is done in the receipt transaction and the clerk never sees a half-checked
document; the hub caps packet size), flags duplicates by
(number + notation + issuer) and answers 01 at once. Revocations, updates and
replacements (edXML ``BusinessDocType`` 1/2/3) freeze the earlier document with a log;
an update of the recipients (2 with a ``ReceiverList``) freezes the copy of a body that
was removed ("đã bị loại khỏi danh sách nơi nhận", 15 back), notes the change on the
copies of the others, and an added body receives the document as new.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from eoffice.audit import service as audit
from eoffice.auth.models import User, UserRole
from eoffice.core.clock import VN, day_text, today  # (deadlines and số đến years are local dates)
from eoffice.core.db import utcnow
from eoffice.core.errors import (
    Conflict,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    TooLarge,
    ValidationFailed,
)
from eoffice.core.permissions import can, require
from eoffice.core.storage import digest_of
from eoffice.core.storage import file_store as store
from eoffice.core.uow import per_transaction
from eoffice.documents import keys, numbering
from eoffice.extensions import db
from eoffice.incoming import policy
from eoffice.incoming.models import (
    FROZEN,
    PRIORITY_NAMES,
    ROLE_NAMES,
    TIMELINESS_NAMES,
    IncomingAssignment,
    IncomingDocument,
    IncomingFile,
    IncomingNote,
    IncomingReminder,
)
from eoffice.incoming.queries import fold
from eoffice.interop import edxml
from eoffice.interop import service as interop
from eoffice.interop.models import InboxMessage
from eoffice.notifications.service import notify
from eoffice.orgs.models import Organization
from eoffice.search.service import queue_extraction

MAX_SCAN_BYTES = 50 * 1024 * 1024
#: Assigning work to a person or unit of another body.
NOT_OWN_BODY = "%(name)s không thuộc %(org)s: chỉ giao cho người, đơn vị của cơ quan mình."

# action → (states it may start from, state it leads to; None keeps the state)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "register": (frozenset({"received"}), "accepted"),
    "refuse": (frozenset({"received"}), "refused"),
    "assign": (frozenset({"accepted", "assigned", "processing"}), "assigned"),
    "reassign": (frozenset({"assigned", "processing"}), None),
    "progress": (frozenset({"assigned", "processing"}), "processing"),
    "complete": (frozenset({"assigned", "processing"}), "completed"),
    "takeback": (frozenset({"received", "accepted", "assigned", "processing"}), "withdrawn"),
    "revoke": (frozenset({"received", "accepted", "assigned", "processing", "completed"}),
               "revoked"),
    "replace": (frozenset({"received", "accepted", "assigned", "processing", "completed"}),
                "replaced"),
}
_WRONG_STATE = {
    "register": "Văn bản đã được xử lý (vào sổ hoặc từ chối), không vào sổ lại được.",
    "refuse": "Chỉ từ chối được văn bản mới đến, chưa vào sổ.",
    "assign": "Chỉ phân công được văn bản đã vào sổ và chưa hoàn thành.",
    "reassign": "Văn bản chưa được phân công hoặc đã kết thúc xử lý.",
    "progress": "Văn bản chưa được phân công hoặc đã kết thúc xử lý.",
    "complete": "Văn bản chưa được phân công hoặc đã hoàn thành.",
    "takeback": "Văn bản đã kết thúc, không trả lại được.",
    "revoke": "Văn bản đã kết thúc.",
    "replace": "Văn bản đã kết thúc.",
}


def _transition(doc: IncomingDocument, action: str) -> None:
    sources, target = TRANSITIONS[action]
    if doc.status not in sources:
        raise InvalidTransition(_WRONG_STATE[action],
                                details={"status": doc.status, "action": action})
    if target is not None:
        doc.status = target


def link(doc: IncomingDocument) -> str:
    """The document's page (a path, usable without a request)."""
    return f"/incoming/{doc.id}"


# ---------------------------------------------------------------------------------------
# loading


def get_document(actor: Any, doc_id: int) -> IncomingDocument:
    """Load a document the actor may see: 404 outside their body, 403 inside it."""
    doc = db.session.get(IncomingDocument, doc_id)
    if doc is None or (not getattr(actor, "is_system", False) and doc.org_id != actor.org_id):
        raise NotFound("Không tìm thấy văn bản đến.")
    require(actor, "incoming.view", doc)
    return doc


def repeated_arrivals(doc: IncomingDocument) -> int:
    """How many more times the same DocumentId arrived for the body (interop keeps those
    packets as ``duplicate`` and never hands them on): the clerk is warned, nothing else."""
    if not doc.document_id or not doc.org.code:
        return 0
    return db.session.execute(sa.select(sa.func.count()).select_from(InboxMessage).where(
        InboxMessage.document_id == doc.document_id, InboxMessage.to_code == doc.org.code,
        InboxMessage.message_type == "edoc", InboxMessage.state == "duplicate")).scalar_one()


def report_of(file: IncomingFile) -> dict[str, Any] | None:
    """A stored validation report (DESIGN.md §6 shape)."""
    return json.loads(file.report) if file.report else None


def replaced_by(doc: IncomingDocument) -> IncomingDocument | None:
    """The later document of the body that replaced ``doc`` (the other side of
    ``replaces``)."""
    return db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.replaces_id == doc.id).order_by(IncomingDocument.id)).scalars().first()


def response_for_data(doc: IncomingDocument) -> dict[str, Any]:
    """What an answering outgoing document needs in its ResponseFor block."""
    return {"document_id": doc.document_id, "organ_id": doc.issuer_code,
            "code": doc.code, "number": doc.number, "notation": doc.notation,
            "promulgation_date": doc.issued_date.isoformat() if doc.issued_date else None,
            "incoming_id": doc.id}


# ---------------------------------------------------------------------------------------
# helpers


def _people(org_id: int, role: str, unit_id: int | None = None) -> list[User]:
    stmt = (sa.select(User).join(UserRole).where(User.org_id == org_id, User.active.is_(True),
                                                 UserRole.role == role))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.session.execute(stmt.order_by(User.id)).scalars().unique())


def _label(doc: IncomingDocument) -> str:
    """The document in a notification (in the language :func:`notify` puts in force)."""
    urgent = f"[{_(PRIORITY_NAMES[doc.priority]).upper()}] " if doc.is_urgent else ""
    code = f"{doc.code} " if doc.code else ""
    return f"{urgent}{code}{doc.issuer_name}: {doc.subject}"[:300]


def _refresh_search(doc: IncomingDocument) -> None:
    parts = [doc.subject, doc.issuer_name, doc.issuer_code, doc.code, doc.type_name,
             doc.signer_name, str(doc.incoming_number or "")]
    if doc.copy_of:
        original = doc.original or {}
        parts += [original.get("organ_name") or "", original.get("code") or ""]
    doc.search_text = fold(" ".join(p for p in parts if p))


def _staff(actor: Any) -> tuple[str, str]:
    unit = getattr(actor, "unit", None)
    department = unit.name if unit is not None else ("Văn thư" if getattr(
        actor, "has_role", lambda *r: False)("clerk") else "")
    return department, getattr(actor, "full_name", "") or ""


def _emit(doc: IncomingDocument, actor: Any, status_code: str, description: str) -> None:
    """Status packet back to the issuer (electronic documents only), in this transaction."""
    if doc.source != "electronic" or not doc.issuer_code or not doc.document_id:
        return
    department, name = _staff(actor)
    interop.emit_status(
        sender=edxml.Organization(organ_id=doc.org.code or "", organ_name=doc.org.name),
        response_for=edxml.ResponseFor(organ_id=doc.issuer_code, code=doc.code,
                                       promulgation_date=doc.issued_date,
                                       document_id=doc.document_id),
        status_code=status_code, description=description[:500],
        staff_department=department, staff_name=name, source=("incoming", doc.id))


def _file(doc: IncomingDocument, data: bytes, name: str, *, kind: str = "document",
          content_type: str = "application/pdf", verify: bool = True,
          actor: Any = None) -> IncomingFile:
    row = IncomingFile(document=doc, kind=kind, name=name[:255] or "van-ban.pdf",
                       content_type=content_type[:100], digest=store().put(data),
                       size=len(data), added_by_id=getattr(actor, "id", None))
    if verify:
        try:
            report = keys.verify_pdf(data)
        except ValidationFailed as exc:
            report = {"valid": False, "verdict": exc.message,
                      "verdict_en": "The file is not a readable PDF", "signatures": []}
        row.report = json.dumps(report, ensure_ascii=False)
        row.valid = bool(report["valid"])
        row.verdict = report["verdict"]
    db.session.add(row)
    return row


def _find_duplicate(org_id: int, issuer_code: str, number: str, notation: str) -> int | None:
    """The id of an earlier document of the body with the same number + notation + issuer.

    Only the id is read: every received packet asks, and an entity query had psycopg
    describe all ~46 columns even when no row came back."""
    if not (number and notation):
        return None
    return db.session.execute(sa.select(IncomingDocument.id).where(
        IncomingDocument.org_id == org_id, IncomingDocument.number == number,
        IncomingDocument.notation == notation,
        sa.func.lower(IncomingDocument.issuer_code) == issuer_code.lower(),
        IncomingDocument.status.not_in(("refused", "revoked", "withdrawn")))
        .order_by(IncomingDocument.id).limit(1)).scalar()


# ---------------------------------------------------------------------------------------
# receipt (interop hooks)


def _receiving_body(inbox: InboxMessage) -> Organization | None:
    """The body a received packet is for (None: one the hub lists for us that we do not
    keep), looked up once per transaction: a poll stores a whole batch of packets, mostly
    for the same body, in one transaction."""
    return per_transaction(("incoming.body", inbox.to_code), lambda: db.session.execute(
        sa.select(Organization).where(Organization.code == inbox.to_code)
    ).scalar_one_or_none())


def receive_packet(inbox: InboxMessage, packet: edxml.EdocPacket) -> IncomingDocument | None:
    """Interop receipt hook: the packet becomes an incoming document; 01 goes back.

    The receiving body and its clerks are looked up once per transaction.
    """
    body = _receiving_body(inbox)
    if body is None:  # a body the hub lists for us but we do not keep: acknowledge only
        interop.emit_status(
            sender=edxml.Organization(organ_id=inbox.to_code, organ_name=""),
            response_for=interop.response_for_packet(packet), status_code="01",
            description="Đã đến - phần mềm đã nhận, văn thư chưa xử lý",
            staff_department="Văn thư")
        return None
    if packet.business_doc_type == 1:
        _apply_revocation(body, packet)
        return None
    if packet.business_doc_type == 2 and (packet.business_document_receiver
                                          or packet.receivers_added or packet.receivers_removed):
        if _apply_recipient_update(body, packet):
            return None
    # looked up before the new row exists (autoflush would otherwise find the row itself)
    duplicate_id = _find_duplicate(body.id, packet.sender.organ_id, packet.code_number[:11],
                                   packet.code_notation[:30])
    doc = IncomingDocument(
        files=[],  # a loaded (empty) collection: no query for it after the flush
        org=body, source="electronic", status="received", document_id=packet.document_id,
        inbox_id=inbox.id, issuer_code=packet.sender.organ_id,
        issuer_name=packet.sender.organ_name[:200], number=packet.code_number[:11],
        notation=packet.code_notation[:30], issued_date=packet.promulgation_date,
        type_name=packet.type_name[:100], subject=packet.subject[:500],
        signer_name=packet.signer_full_name[:100], signer_position=packet.signer_position[:100],
        priority=packet.priority if 0 <= packet.priority <= 3 else 0,
        sender_due_date=packet.due_date, business_doc_type=packet.business_doc_type,
        response_for=json.dumps([{"organ_id": r.organ_id, "code": r.code,
                                  "document_id": r.document_id,
                                  "promulgation_date": r.promulgation_date.isoformat()
                                  if r.promulgation_date else None}
                                 for r in packet.response_for], ensure_ascii=False),
        packet_signature_valid=inbox.signature_valid,
        packet_signature_note=inbox.signature_note or "",
        wrong_recipient=inbox.to_code not in {r.organ_id for r in packet.recipients},
        copy_of=json.dumps({
            "copy_form": packet.copy_of.copy_form, "organ_id": packet.copy_of.organ_id,
            "organ_name": packet.copy_of.organ_name, "code": packet.copy_of.code,
            "promulgation_date": packet.copy_of.promulgation_date.isoformat()
            if packet.copy_of.promulgation_date else None,
            "document_id": packet.copy_of.document_id}, ensure_ascii=False)
        if packet.copy_of is not None else "",
    )
    doc.duplicate_of_id = duplicate_id
    db.session.add(doc)
    for attachment in packet.attachments:
        is_pdf = attachment.content_type == "application/pdf" or attachment.data[:5] == b"%PDF-"
        _file(doc, attachment.data, attachment.name, content_type=attachment.content_type,
              kind="document" if is_pdf else "note",
              verify=is_pdf and current_app.config["INCOMING_VERIFY_ON_ARRIVAL"])
    _refresh_search(doc)
    db.session.flush()  # the document and its files in one flush
    queue_extraction("incoming", doc.id)
    # the arrival's one audit event (interop writes none when its receiver returns one)
    audit.record(None, "incoming.received", doc, org_id=body.id, details={
        "document_id": doc.document_id, "from": doc.issuer_code, "to": inbox.to_code,
        "code": doc.code, "inbox_id": inbox.id, "hub_doc_id": inbox.hub_doc_id,
        "valid": doc.verification_ok, "duplicate_of": duplicate_id})
    if packet.business_doc_type in (2, 3) and packet.business_document_id \
            and packet.business_document_id != packet.document_id:
        _apply_replacement(body, doc, packet)
    _emit(doc, None, "01", "Đã đến - phần mềm đã nhận, văn thư chưa xử lý")
    def text() -> str:
        message = _("Văn bản đến mới: %(label)s", label=_label(doc))
        if duplicate_id is not None:
            message += " " + _("(trùng số, ký hiệu và cơ quan ban hành với văn bản đã nhận)")
        return message

    clerks = per_transaction(("incoming.clerks", body.id), lambda: _people(body.id, "clerk"))
    for clerk in clerks:
        notify(clerk, "incoming.received", text, link(doc), email=doc.is_urgent)
    return doc


def _earlier(body: Organization, document_id: str) -> list[IncomingDocument]:
    return list(db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == body.id, IncomingDocument.document_id == document_id)
    ).scalars())


def _close_assignments(doc: IncomingDocument) -> None:
    for item in doc.assignments:
        item.active = False


def _apply_revocation(body: Organization, packet: edxml.EdocPacket) -> None:
    """The issuer revoked a document (TT 01/2019: freeze it and log the revocation)."""
    targets = _earlier(body, packet.business_document_id)
    for doc in targets:
        if doc.status in ("revoked", "refused", "withdrawn"):
            continue
        _transition(doc, "revoke")
        doc.closed_note = (packet.business_doc_reason or "Cơ quan ban hành thu hồi văn bản")[:2000]
        _close_assignments(doc)
        audit.record(None, "incoming.revoked", doc, org_id=body.id, details={
            "document_id": doc.document_id, "reason": packet.business_doc_reason})
        db.session.add(IncomingNote(document=doc, kind="system",
                                    text=f"Văn bản bị thu hồi: {doc.closed_note}"))
        _emit(doc, None, "15", "Đã nhận thông báo thu hồi; văn bản đã được thu hồi")
        for person in _people(body.id, "clerk") + _handlers(doc):
            notify(person, "incoming.revoked",
                   lambda doc=doc: _("Văn bản bị thu hồi: %(label)s", label=_label(doc)), link(doc))
        # the sao y forwarded below are revoked with their original (a local import: the
        # tiers package builds on this one)
        from eoffice.tiers.service import revoke_copies

        revoke_copies(doc, reason=doc.closed_note)
    if not targets:
        audit.record(None, "incoming.revoke_unknown", None, org_id=body.id,
                     details={"document_id": packet.business_document_id})
    db.session.flush()


def _body_names(codes: tuple[str, ...]) -> str:
    names = dict(db.session.execute(sa.select(Organization.code, Organization.name).where(
        Organization.code.in_(codes))).all()) if codes else {}
    return ", ".join(names.get(code) or code for code in codes)


def _apply_recipient_update(body: Organization, packet: edxml.EdocPacket) -> bool:
    """The issuer changed the recipients of a document (BussinessDocType 2, ReceiverList).

    Removed: our copy is frozen with a log and 15 goes back. Still a recipient: a note
    records the change. Added without a copy: the packet is received as a new document
    (returns False). Returns True when the packet needs no new document.
    """
    earlier = _earlier(body, packet.business_document_id)
    reason = (packet.business_doc_reason or "").strip()
    if body.code in packet.receivers_removed:
        for doc in earlier:
            if doc.status in ("revoked", "refused", "withdrawn", "replaced"):
                continue
            _transition(doc, "revoke")
            doc.closed_note = ("Văn bản đã bị loại khỏi danh sách nơi nhận"
                               + (f": {reason}" if reason else ""))[:2000]
            doc.takeback_reason = None
            _close_assignments(doc)
            db.session.add(IncomingNote(document=doc, kind="system", text=doc.closed_note))
            audit.record(None, "incoming.recipient_removed", doc, org_id=body.id, details={
                "document_id": doc.document_id, "reason": reason})
            _emit(doc, None, "15", "Đã nhận thông báo cập nhật: văn bản đã bị loại khỏi danh "
                  "sách nơi nhận")
            for person in _people(body.id, "clerk") + _handlers(doc):
                notify(person, "incoming.revoked",
                       lambda doc=doc: _("Văn bản đã bị loại khỏi danh sách nơi nhận: "
                                         "%(label)s", label=_label(doc)), link(doc))
        if not earlier:
            audit.record(None, "incoming.update_unknown", None, org_id=body.id,
                         details={"document_id": packet.business_document_id})
        db.session.flush()
        return True
    if earlier:
        parts = []
        if packet.receivers_added:
            parts.append(f"thêm {_body_names(packet.receivers_added)}")
        if packet.receivers_removed:
            parts.append(f"bỏ {_body_names(packet.receivers_removed)}")
        text = ("Cơ quan ban hành cập nhật nơi nhận: " + "; ".join(parts)
                + (f" ({reason})" if reason else ""))[:4000]
        for doc in earlier:
            db.session.add(IncomingNote(document=doc, kind="system", text=text))
            audit.record(None, "incoming.recipients_updated", doc, org_id=body.id, details={
                "document_id": doc.document_id, "added": list(packet.receivers_added),
                "removed": list(packet.receivers_removed), "reason": reason})
        db.session.flush()
        return True
    if body.code in packet.receivers_added and packet.attachments:
        return False
    audit.record(None, "incoming.update_unknown", None, org_id=body.id,
                 details={"document_id": packet.business_document_id})
    return True


def _apply_replacement(body: Organization, doc: IncomingDocument,
                       packet: edxml.EdocPacket) -> None:
    """An update/replacement arrived: link it and freeze the earlier document."""
    for old in _earlier(body, packet.business_document_id):
        if old.id == doc.id or old.status in FROZEN and old.status != "completed":
            continue
        _transition(old, "replace")
        old.closed_note = f"Được thay thế bởi văn bản {doc.code}"
        _close_assignments(old)
        doc.replaces_id = old.id
        db.session.add(IncomingNote(document=old, kind="system", text=old.closed_note))
        audit.record(None, "incoming.replaced", old, org_id=body.id,
                     details={"replaced_by": doc.id, "kind": packet.business_doc_type})
    db.session.flush()


def receive_duplicate(inbox: InboxMessage, packet: edxml.EdocPacket) -> None:
    """Interop hook: a packet whose DocumentId the body already received (interop keeps it
    only as a duplicate). A resend — the same files — changes nothing. Other files under
    the same DocumentId (an issuer that used a number twice, or changed a document without
    an update packet) are noted on the document first received and its clerks are told,
    so that the second one is not silently lost; it is not registered."""
    body = _receiving_body(inbox)
    earlier = _earlier(body, packet.document_id) if body is not None else []
    if not earlier:
        return
    doc = min(earlier, key=lambda d: d.id)  # the one registered
    known = {f.digest for f in doc.files}
    if {digest_of(a.data) for a in packet.attachments} <= known:
        return  # the same document again
    db.session.add(IncomingNote(document=doc, kind="system", text=(
        f"Nhận thêm một gói tin cùng mã định danh {packet.document_id} nhưng khác nội dung "
        f"(trích yếu: {packet.subject[:300]}); gói tin được lưu, không vào sổ. Cần liên hệ "
        "cơ quan ban hành.")))
    audit.record(None, "incoming.duplicate_different", doc, org_id=body.id, details={
        "document_id": packet.document_id, "hub_doc_id": inbox.hub_doc_id,
        "subject": packet.subject[:300]})
    for clerk in _people(body.id, "clerk"):
        notify(clerk, "incoming.duplicate",
               lambda: _("Văn bản trùng mã định danh với văn bản đã nhận nhưng khác nội "
                         "dung: %(label)s", label=_label(doc)), link(doc), email=True)


def receive_status(inbox: InboxMessage, packet: edxml.StatusPacket) -> None:
    """Interop status hook: a take-back request (13) for a document we received."""
    if packet.status_code != "13":
        return
    body = _receiving_body(inbox)
    if body is None:
        return
    for doc in _earlier(body, packet.response_for.document_id):
        if doc.issuer_code != packet.sender.organ_id or doc.status in FROZEN:
            continue
        doc.takeback_reason = packet.description or "Cơ quan ban hành đề nghị lấy lại văn bản"
        audit.record(None, "incoming.takeback_requested", doc, org_id=body.id,
                     details={"reason": doc.takeback_reason})
        for clerk in _people(body.id, "clerk"):
            notify(clerk, "incoming.takeback",
                   lambda doc=doc: _("Cơ quan gửi đề nghị lấy lại văn bản: %(label)s",
                                     label=_label(doc)), link(doc))
    db.session.flush()


def answer_takeback(actor: Any, doc: IncomingDocument, *, accept: bool,
                    reason: str = "") -> IncomingDocument:
    """The clerk accepts (15) or refuses (16) the issuer's take-back request."""
    require(actor, "incoming.takeback", doc)
    if doc.takeback_reason is None:
        raise Conflict("Không có đề nghị lấy lại nào đang chờ trả lời.")
    if accept:
        _transition(doc, "takeback")
        doc.closed_note = f"Cơ quan gửi lấy lại văn bản: {doc.takeback_reason}"
        _close_assignments(doc)
        _emit(doc, actor, "15", "Đồng ý cho lấy lại văn bản")
    else:
        if not reason.strip():
            raise ValidationFailed("Cần nêu lý do không đồng ý.", details={"field": "reason"})
        _emit(doc, actor, "16", f"Không đồng ý cho lấy lại văn bản: {reason.strip()}")
    audit.record(actor, "incoming.takeback_" + ("accepted" if accept else "refused"), doc,
                 details={"request": doc.takeback_reason, "reason": reason})
    doc.takeback_reason = None
    db.session.flush()
    return doc


# ---------------------------------------------------------------------------------------
# paper intake


@dataclass(frozen=True)
class PaperMeta:
    """What the clerk keys in for a paper document (Phụ lục VI, Mục II)."""

    issuer_name: str
    subject: str
    number: str = ""
    notation: str = ""
    issued_date: date | None = None
    type_name: str = ""
    issuer_code: str = ""
    signer_name: str = ""
    signer_position: str = ""
    priority: int = 0
    due_date: date | None = None
    confidentiality: str = ""

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> PaperMeta:
        """Validate keyed-in metadata (422 with the field on error)."""
        def text(name: str, limit: int) -> str:
            value = data.get(name) or ""
            if not isinstance(value, str):
                raise ValidationFailed("Trường “%(field)s” phải là chuỗi.", params={"field": name},
                                       details={"field": name})
            if len(value.strip()) > limit:
                raise ValidationFailed("Trường “%(field)s” dài quá %(limit)d ký tự.",
                                       params={"field": name, "limit": limit},
                                       details={"field": name})
            return value.strip()

        def day(name: str) -> date | None:
            value = data.get(name)
            if value in (None, ""):
                return None
            if isinstance(value, date):
                return value
            try:
                return date.fromisoformat(str(value))
            except ValueError:
                raise ValidationFailed("Ngày “%(field)s” không hợp lệ (YYYY-MM-DD).",
                                       params={"field": name}, details={"field": name}) from None

        priority = data.get("priority", data.get("urgency", 0)) or 0
        try:
            priority = int(priority)
        except (TypeError, ValueError):
            raise ValidationFailed("Độ khẩn không hợp lệ.", details={"field": "priority"}) from None
        if priority not in PRIORITY_NAMES:
            raise ValidationFailed("Độ khẩn phải là 0, 1, 2 hoặc 3.",
                                   details={"field": "priority"})
        meta = cls(issuer_name=text("issuer_name", 200), subject=text("subject", 500),
                   number=text("number", 11), notation=text("notation", 30),
                   issued_date=day("issued_date"), type_name=text("type_name", 100),
                   issuer_code=text("issuer_code", 35), signer_name=text("signer_name", 100),
                   signer_position=text("signer_position", 100), priority=priority,
                   due_date=day("due_date"), confidentiality=text("confidentiality", 10))
        if meta.confidentiality not in ("", "mat", "toi_mat", "tuyet_mat"):
            raise ValidationFailed("Độ mật phải là mat, toi_mat hoặc tuyet_mat.",
                                   details={"field": "confidentiality"})
        if not meta.issuer_name:
            raise ValidationFailed("Cần nhập cơ quan ban hành.", details={"field": "issuer_name"})
        if not meta.subject:
            raise ValidationFailed("Cần nhập trích yếu.", details={"field": "subject"})
        return meta


def images_to_pdf(images: list[bytes]) -> bytes:
    """Combine scanned pages (JPEG/PNG) into one PDF, one page each."""
    from PIL import Image, UnidentifiedImageError

    pages = []
    for data in images:
        try:
            image = Image.open(io.BytesIO(data))
            image.load()
        except (UnidentifiedImageError, OSError):
            raise ValidationFailed("Tệp quét phải là PDF, JPEG hoặc PNG.",
                                   details={"field": "file"}) from None
        pages.append(image.convert("RGB"))
    if not pages:
        raise ValidationFailed("Chưa chọn tệp quét.", details={"field": "file"})
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=150.0)
    return out.getvalue()


def intake_paper(actor: Any, org: Organization, meta: PaperMeta,
                 files: list[tuple[str, bytes]]) -> IncomingDocument:
    """The clerk takes in a paper document: a scanned PDF, or images combined into one."""
    require(actor, "incoming.intake", org)
    if not files or not any(data for _, data in files):
        raise ValidationFailed("Chưa chọn tệp quét.", details={"field": "file"})
    total = sum(len(data) for _, data in files)
    if total > MAX_SCAN_BYTES:
        raise TooLarge("Tệp quét quá lớn.")
    if len(files) == 1 and files[0][1][:5] == b"%PDF-":
        name, pdf = files[0]
        try:
            keys.verify_pdf(pdf)  # a readable PDF, or 422 now rather than later
        except ValidationFailed:
            raise ValidationFailed("Tệp PDF không đọc được.", details={"field": "file"}) from None
    else:
        if any(data[:5] == b"%PDF-" for _, data in files):
            raise ValidationFailed("Chỉ tải lên một tệp PDF, hoặc nhiều ảnh.",
                                   details={"field": "file"})
        pdf = images_to_pdf([data for _, data in files])
        name = "ban-quet.pdf"
    duplicate_id = _find_duplicate(org.id, meta.issuer_code, meta.number, meta.notation) \
        if meta.issuer_code else _find_duplicate_by_name(org.id, meta)
    doc = IncomingDocument(
        org=org, source="paper", status="received", issuer_code=meta.issuer_code,
        issuer_name=meta.issuer_name, number=meta.number, notation=meta.notation,
        issued_date=meta.issued_date, type_name=meta.type_name, subject=meta.subject,
        signer_name=meta.signer_name, signer_position=meta.signer_position,
        priority=meta.priority, sender_due_date=meta.due_date, created_by_id=actor.id,
        confidentiality=meta.confidentiality)
    doc.duplicate_of_id = duplicate_id
    db.session.add(doc)
    _refresh_search(doc)
    db.session.flush()
    _file(doc, pdf, name if name.lower().endswith(".pdf") else name + ".pdf", verify=False,
          actor=actor)
    db.session.flush()
    queue_extraction("incoming", doc.id)
    audit.record(actor, "incoming.intake_paper", doc, details={
        "code": doc.code, "issuer": doc.issuer_name, "size": len(pdf)})
    return doc


def _find_duplicate_by_name(org_id: int, meta: PaperMeta) -> int | None:
    """As :func:`_find_duplicate`, by the issuer's name (a paper document without a code)."""
    if not (meta.number and meta.notation):
        return None
    return db.session.execute(sa.select(IncomingDocument.id).where(
        IncomingDocument.org_id == org_id, IncomingDocument.number == meta.number,
        IncomingDocument.notation == meta.notation,
        sa.func.lower(IncomingDocument.issuer_name) == meta.issuer_name.lower(),
        IncomingDocument.status.not_in(("refused", "revoked", "withdrawn")))
        .order_by(IncomingDocument.id).limit(1)).scalar()


# ---------------------------------------------------------------------------------------
# check and register


def register(actor: Any, doc: IncomingDocument, *, now: datetime | None = None
             ) -> IncomingDocument:
    """Give the next số đến from the body's incoming register (status 03)."""
    require(actor, "incoming.register", doc)
    if doc.status == "accepted" or doc.incoming_number is not None:
        raise InvalidTransition(
            "Văn bản đã được vào sổ (số đến %(number)s), không vào sổ hai lần.",
            params={"number": doc.incoming_number},
            details={"incoming_number": doc.incoming_number})
    twin = _registered_twin(doc)
    if twin is not None:
        raise Conflict(
            "Văn bản trùng với văn bản đã vào sổ (số đến %(number)s): cùng số, "
            "ký hiệu và cơ quan ban hành; hãy từ chối bản trùng.",
            params={"number": twin.incoming_number},
            details={"duplicate_of": twin.id})
    _transition(doc, "register")
    day = today(now)
    book = numbering.register_for(doc.org, "incoming")
    doc.register_id = book.id
    doc.incoming_number = numbering.next_number(book, day)
    doc.incoming_year = day.year
    doc.arrival_date = day
    doc.registered_at = now or utcnow()
    doc.registered_by_id = actor.id
    _refresh_search(doc)
    db.session.flush()
    audit.record(actor, "incoming.registered", doc, details={
        "incoming_number": doc.incoming_number, "register": book.id, "year": day.year})
    _emit(doc, actor, "03", f"Đã vào sổ văn bản đến, số đến {doc.incoming_number}")
    for leader in _people(doc.org_id, "leader"):
        notify(leader, "incoming.to_direct",
               lambda: _("Văn bản đến chờ cho ý kiến: %(label)s", label=_label(doc)),
               link(doc), email=doc.is_urgent)
    return doc


def _registered_twin(doc: IncomingDocument) -> IncomingDocument | None:
    """An already registered document of the body with the same number + notation + issuer
    (whichever of the two arrived first): a document is never registered twice."""
    if not (doc.number and doc.notation):
        return None
    issuer = (IncomingDocument.issuer_code == doc.issuer_code if doc.issuer_code
              else sa.func.lower(IncomingDocument.issuer_name) == doc.issuer_name.lower())
    return db.session.execute(sa.select(IncomingDocument).where(
        IncomingDocument.org_id == doc.org_id, IncomingDocument.id != doc.id,
        IncomingDocument.number == doc.number, IncomingDocument.notation == doc.notation,
        issuer, IncomingDocument.incoming_number.is_not(None),
        IncomingDocument.status.not_in(("refused", "revoked", "withdrawn")))
        .order_by(IncomingDocument.id)).scalars().first()


def refuse(actor: Any, doc: IncomingDocument, reason: str) -> IncomingDocument:
    """Return a received document to its issuer with the reason (status 02)."""
    require(actor, "incoming.refuse", doc)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Cần nêu lý do từ chối.", details={"field": "reason"})
    _transition(doc, "refuse")
    doc.refuse_reason = reason[:2000]
    db.session.flush()
    audit.record(actor, "incoming.refused", doc, details={"reason": doc.refuse_reason})
    _emit(doc, actor, "02", f"Từ chối tiếp nhận: {doc.refuse_reason}")
    return doc


# ---------------------------------------------------------------------------------------
# direction and assignment


@dataclass(frozen=True)
class Target:
    """One handler to assign: a person or a unit of the body, with its deadline."""

    role: str
    user: User | None
    unit: Organization | None
    deadline: date | None
    note: str = ""


def _parse_day(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.astimezone(VN).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise ValidationFailed("Hạn xử lý “%(value)s” không hợp lệ (YYYY-MM-DD).",
                               params={"value": value}, details={"field": field}) from None


def resolve_target(doc: IncomingDocument, role: str, spec: Any, default_deadline: date | None,
                   field: str) -> Target:
    """``"username"``, ``"unit:<id>"``, or ``{"user"|"unit", "deadline", "note"}`` → Target.

    People and units must belong to the receiving body (422 otherwise)."""
    if isinstance(spec, str):
        spec = {"unit": spec[5:]} if spec.startswith("unit:") else {"user": spec}
    if not isinstance(spec, dict) or not (spec.get("user") or spec.get("unit")):
        raise ValidationFailed("Người hoặc đơn vị được giao không hợp lệ.",
                               details={"field": field})
    deadline = _parse_day(spec.get("deadline"), field) or default_deadline
    user = unit = None
    if spec.get("user"):
        key = spec["user"]
        stmt = sa.select(User).where(User.id == int(key)) if isinstance(key, int) or \
            str(key).isdigit() else sa.select(User).where(User.username == str(key))
        user = db.session.execute(stmt).scalar_one_or_none()
        if user is None or not user.active:
            raise ValidationFailed("Không tìm thấy người dùng “%(user)s”.", params={"user": key},
                                   details={"field": field})
        if user.org_id != doc.org_id:
            raise ValidationFailed(
                NOT_OWN_BODY, params={"name": user.full_name, "org": doc.org.name},
                details={"field": field})
    else:
        try:
            unit = db.session.get(Organization, int(spec["unit"]))
        except (TypeError, ValueError):
            unit = None
        if unit is None or unit.is_body:
            raise ValidationFailed("Không tìm thấy đơn vị “%(unit)s”.",
                                   params={"unit": spec["unit"]}, details={"field": field})
        if unit.body.id != doc.org_id:
            raise ValidationFailed(
                NOT_OWN_BODY, params={"name": unit.name, "org": doc.org.name},
                details={"field": field})
    return Target(role=role, user=user, unit=unit, deadline=deadline,
                  note=str(spec.get("note") or "")[:1000])


def _check_deadline(deadline: date | None, now: datetime | None, field: str) -> None:
    if deadline is not None and deadline < today(now):
        raise ValidationFailed("Hạn xử lý không được ở trong quá khứ.",
                               details={"field": field, "deadline": deadline.isoformat()})


def assign(actor: Any, doc: IncomingDocument, *, lead: Any, cooperate: list[Any] | None = None,
           inform: list[Any] | None = None, deadline: Any = None, directive: str = "",
           now: datetime | None = None) -> IncomingDocument:
    """The leader's direction (bút phê): lead, cooperating and informed handlers (04)."""
    require(actor, "incoming.assign", doc)
    if doc.status not in TRANSITIONS["assign"][0]:
        raise InvalidTransition(_WRONG_STATE["assign"], details={"status": doc.status})
    default = _parse_day(deadline, "deadline")
    _check_deadline(default, now, "deadline")
    if not lead:
        raise ValidationFailed("Cần chọn người hoặc đơn vị chủ trì.", details={"field": "lead"})
    targets = [resolve_target(doc, "lead", lead, default, "lead")]
    for role, specs in (("cooperate", cooperate or []), ("inform", inform or [])):
        if not isinstance(specs, list):
            specs = [specs]
        targets += [resolve_target(doc, role, s, default if role != "inform" else None, role)
                    for s in specs]
    for t in targets:
        _check_deadline(t.deadline, now, t.role)
    keyset = [(t.user.id if t.user else None, t.unit.id if t.unit else None) for t in targets]
    if len(set(keyset)) != len(keyset):
        raise ValidationFailed("Một người hoặc đơn vị chỉ được giao một vai trò.",
                               details={"field": "cooperate"})
    first = doc.status == "accepted"
    _close_assignments(doc)
    if first:
        _transition(doc, "assign")
    moment = now or utcnow()
    doc.directive = (directive or "").strip()[:4000]
    doc.directed_by_id = actor.id
    doc.directed_at = moment
    doc.deadline = targets[0].deadline
    for t in targets:
        item = IncomingAssignment(document=doc, role=t.role, user=t.user, unit=t.unit,
                                  deadline=t.deadline, note=t.note, assigned_by_id=actor.id,
                                  assigned_at=moment)
        db.session.add(item)
    db.session.flush()
    audit.record(actor, "incoming.assigned", doc, details={
        "directive": doc.directive, "deadline": doc.deadline,
        "targets": [{"role": t.role, "user": t.user.username if t.user else None,
                     "unit": t.unit.id if t.unit else None, "deadline": t.deadline}
                    for t in targets]})
    if first:
        lead_target = targets[0]
        who = lead_target.user.full_name if lead_target.user else lead_target.unit.name
        _emit(doc, actor, "04", f"Đã phân công xử lý: chủ trì {who}"
              + (f", hạn {day_text(doc.deadline)}" if doc.deadline else ""))
    for item in doc.assignments:
        if item.active:
            _notify_assignee(item, doc)
    return doc


def _recipients(item: IncomingAssignment) -> list[User]:
    if item.user is not None:
        return [item.user]
    return _people(item.document.org_id, "head", unit_id=item.unit_id)


def _handlers(doc: IncomingDocument) -> list[User]:
    seen: dict[int, User] = {}
    for item in doc.assignments:
        if item.active:
            for person in _recipients(item):
                seen[person.id] = person
    return list(seen.values())


def _notify_assignee(item: IncomingAssignment, doc: IncomingDocument) -> None:
    def text() -> str:
        role = _(ROLE_NAMES[item.role]).lower()
        if item.deadline:
            return _("Được giao %(role)s, hạn %(deadline)s: %(label)s", role=role,
                     deadline=day_text(item.deadline), label=_label(doc))
        return _("Được giao %(role)s: %(label)s", role=role, label=_label(doc))

    for person in _recipients(item):
        notify(person, f"incoming.assigned.{item.role}", text, link(doc), email=doc.is_urgent)


def reassign(actor: Any, doc: IncomingDocument, *, user: Any, deadline: Any = None,
             note: str = "", now: datetime | None = None) -> IncomingAssignment:
    """A unit head hands the unit's assignment to one of its people (same role)."""
    require(actor, "incoming.reassign", doc)
    _transition(doc, "reassign")
    parent = next(a for a in policy.assignments_of(actor, doc)
                  if a.user_id is None and a.unit_id == actor.unit_id)
    target = resolve_target(doc, parent.role, {"user": user, "deadline": deadline, "note": note},
                            parent.deadline, "user")
    if target.user is None or target.user.unit_id != actor.unit_id:
        raise ValidationFailed("Chỉ giao lại cho người trong đơn vị mình.",
                               details={"field": "user"})
    _check_deadline(target.deadline, now, "deadline")
    if parent.deadline and target.deadline and target.deadline > parent.deadline:
        raise ValidationFailed("Hạn giao lại không được sau hạn của đơn vị.",
                               details={"field": "deadline"})
    item = IncomingAssignment(document=doc, role=parent.role, user=target.user,
                              parent_id=parent.id, deadline=target.deadline, note=target.note,
                              assigned_by_id=actor.id, assigned_at=now or utcnow())
    db.session.add(item)
    db.session.flush()
    audit.record(actor, "incoming.reassigned", doc, details={
        "user": target.user.username, "role": parent.role, "deadline": target.deadline})
    _notify_assignee(item, doc)
    return item


# ---------------------------------------------------------------------------------------
# processing


def add_note(actor: Any, doc: IncomingDocument, text: str, *,
             file: tuple[str, bytes] | None = None) -> IncomingNote:
    """A handler reports progress (the first report sends 05) with an optional file."""
    require(actor, "incoming.progress", doc)
    text = (text or "").strip()
    if not text and file is None:
        raise ValidationFailed("Cần nhập nội dung hoặc chọn tệp.", details={"field": "text"})
    first = doc.status == "assigned"
    _transition(doc, "progress")
    row = None
    if file is not None:
        name, data = file
        if not data:
            raise ValidationFailed("Tệp tải lên rỗng.", details={"field": "file"})
        if len(data) > MAX_SCAN_BYTES:
            raise TooLarge("Tệp quá lớn.")
        row = _file(doc, data, name, kind="note", content_type=_guess_type(name), verify=False,
                    actor=actor)
    note = IncomingNote(document=doc, author_id=actor.id, kind="progress", text=text[:4000],
                        file=row)
    db.session.add(note)
    db.session.flush()
    audit.record(actor, "incoming.progress", doc, details={"text": text[:200],
                                                           "file": row.name if row else None})
    if first:
        _emit(doc, actor, "05", f"Đang xử lý: {text[:200]}" if text else "Đang xử lý")
    return note


def _guess_type(name: str) -> str:
    import mimetypes

    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def classify(completed_on: date, deadline: date | None) -> str | None:
    """``early`` / ``on_time`` / ``late`` against the deadline (None without one)."""
    if deadline is None:
        return None
    if completed_on < deadline:
        return "early"
    return "on_time" if completed_on == deadline else "late"


def complete(actor: Any, doc: IncomingDocument, result: str, *,
             now: datetime | None = None) -> IncomingDocument:
    """The lead completes with a result (status 06; 05 first if none was sent)."""
    if not can(actor, "incoming.complete", doc):
        require(actor, "incoming.view", doc)
        raise PermissionDenied("Chỉ người (đơn vị) chủ trì mới hoàn thành được văn bản.",
                               details={"action": "incoming.complete"})
    result = (result or "").strip()
    if not result:
        raise ValidationFailed("Cần nhập kết quả xử lý.", details={"field": "result"})
    if doc.status == "assigned":
        _transition(doc, "progress")
        _emit(doc, actor, "05", "Đang xử lý")
    _transition(doc, "complete")
    moment = now or utcnow()
    doc.result = result[:4000]
    doc.completed_at = moment
    doc.completed_by_id = actor.id
    doc.timeliness = classify(today(moment), doc.deadline)
    for item in doc.assignments:
        if item.active and item.done_at is None:
            item.done_at = moment
    db.session.add(IncomingNote(document=doc, author_id=actor.id, kind="result",
                                text=doc.result, created_at=moment))
    db.session.flush()
    audit.record(actor, "incoming.completed", doc, details={
        "timeliness": doc.timeliness, "deadline": doc.deadline, "result": doc.result[:200]})
    _emit(doc, actor, "06", f"Đã hoàn thành xử lý: {doc.result[:300]}")
    if doc.directed_by is not None and doc.directed_by.id != actor.id:
        notify(doc.directed_by, "incoming.completed",
               lambda: _("Đã hoàn thành (%(timeliness)s): %(label)s",
                         timeliness=_(TIMELINESS_NAMES[doc.timeliness]) if doc.timeliness
                         else _("không có hạn"), label=_label(doc)), link(doc))
    return doc


# ---------------------------------------------------------------------------------------
# deadlines (beat task)


def remind_deadlines(*, now: datetime | None = None) -> dict[str, int]:
    """Remind handlers ``INCOMING_REMIND_DAYS`` before the deadline; escalate overdue
    work to the unit head and the body's leaders. Each (assignment, kind) once."""
    day = today(now)
    days = int(current_app.config.get("INCOMING_REMIND_DAYS", 1))
    sent = {"reminder": 0, "overdue": 0}
    items = db.session.execute(
        sa.select(IncomingAssignment).join(IncomingDocument)
        .where(IncomingAssignment.active.is_(True), IncomingAssignment.done_at.is_(None),
               IncomingAssignment.role.in_(("lead", "cooperate")),
               IncomingAssignment.deadline.is_not(None),
               IncomingAssignment.deadline <= day + timedelta(days=days),
               IncomingDocument.status.in_(("assigned", "processing")))
        .order_by(IncomingAssignment.id)).scalars().all()
    done = {(r.assignment_id, r.kind) for r in db.session.execute(sa.select(
        IncomingReminder).where(IncomingReminder.assignment_id.in_([i.id for i in items]))
    ).scalars()} if items else set()
    for item in items:
        doc = item.document
        kind = "overdue" if item.deadline < day else "reminder"
        if (item.id, kind) in done:
            continue
        db.session.add(IncomingReminder(assignment_id=item.id, kind=kind))
        db.session.flush()
        people = _recipients(item)

        def text(item: IncomingAssignment = item, doc: IncomingDocument = doc,
                 kind: str = kind) -> str:
            deadline = day_text(item.deadline)
            if kind == "reminder":
                return _("Sắp đến hạn xử lý (%(deadline)s): %(label)s", deadline=deadline,
                         label=_label(doc))
            return _("Quá hạn xử lý (%(role)s %(target)s, hạn %(deadline)s): %(label)s",
                     role=_(ROLE_NAMES[item.role]).lower(), target=item.target_name,
                     deadline=deadline, label=_label(doc))

        if kind != "reminder":
            unit_id = item.unit_id or (item.user.unit_id if item.user else None)
            if unit_id is not None:
                people += _people(doc.org_id, "head", unit_id=unit_id)
            people += _people(doc.org_id, "leader")
        seen: set[int] = set()
        for person in people:
            if person.id not in seen:
                seen.add(person.id)
                notify(person, f"incoming.{kind}", text, link(doc), email=True)
        audit.record(None, f"incoming.{kind}", doc, org_id=doc.org_id, details={
            "assignment": item.id, "deadline": item.deadline, "notified": sorted(seen)})
        sent[kind] += 1
    return sent

