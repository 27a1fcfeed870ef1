"""Read side of outgoing documents: lists per role, the per-recipient delivery view.

Per recipient, the status shown is the latest QCVN 102 status the recipient reported
(``received`` 01 … ``completed`` 06, ``change_accepted`` 15 / ``change_refused`` 16
after a revocation or an update, from ``interop.delivery_statuses``); before any report
it is the state of the recipient's outbox packet: ``pending`` (waiting for the hub),
``sent`` (handed to the hub) or ``failed`` (a dead letter the clerk can resend). The
take-back negotiation shows as ``takeback_requested`` (13 sent), ``takeback_accepted``
(15) or ``takeback_refused`` (16); a body an update removed shows ``removed``.

Lists read a page in a fixed number of statements whatever its size: the page, its
related rows in one ``selectinload`` each, and the delivery view of all its documents in
two more (``recipient_statuses_for``); tests/perf/test_query_counts.py holds that.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from eoffice.auth.models import User
from eoffice.extensions import db
from eoffice.interop.models import DeliveryStatus, OutboxMessage
from eoffice.outgoing.models import OutgoingDocument
from eoffice.outgoing.workflow import STATUS_LABELS

STATUS_NAMES = {"01": "received", "02": "refused", "03": "accepted", "04": "assigned",
                "05": "processing", "06": "completed", "15": "change_accepted",
                "16": "change_refused"}
TAKEBACK_NAMES = {"requested": "takeback_requested", "accepted": "takeback_accepted",
                  "refused": "takeback_refused"}
DELIVERY_LABELS = {
    "not_sent": "Chưa gửi", "pending": "Đang chờ gửi", "sent": "Đã gửi lên trục",
    "failed": "Gửi không thành công", "received": "Đã đến", "refused": "Từ chối",
    "accepted": "Đã tiếp nhận", "assigned": "Đã phân công", "processing": "Đang xử lý",
    "completed": "Đã hoàn thành", "change_accepted": "Đồng ý cập nhật / thu hồi",
    "change_refused": "Từ chối cập nhật / thu hồi",
    "takeback_requested": "Đã đề nghị lấy lại, chờ trả lời",
    "takeback_accepted": "Đồng ý cho lấy lại", "takeback_refused": "Không đồng ý cho lấy lại",
    "removed": "Đã loại khỏi nơi nhận",
}


def recipient_statuses(doc: OutgoingDocument) -> list[dict[str, Any]]:
    """``[{org_code, name, status, status_code, description, updated_at, outbox_id,
    removed, added, takeback, takeback_reason, takeback_answer}]``.

    A body an update removed shows ``removed``; while a take-back request is open or
    answered, ``takeback_requested`` / ``takeback_accepted`` / ``takeback_refused``
    (the delivery status stays in ``status_code``)."""
    return recipient_statuses_for([doc])[doc.id]


def recipient_statuses_for(docs: list[OutgoingDocument]) -> dict[int, list[dict[str, Any]]]:
    """:func:`recipient_statuses` of several documents in two statements (plus their
    recipients, unless the caller loaded them with :data:`LIST_OPTIONS`)."""
    document_ids = sorted({d.document_id for d in docs if d.document_id})
    reported: dict[tuple[str, str], DeliveryStatus] = {}
    if document_ids:
        for row in db.session.execute(sa.select(DeliveryStatus).where(
                DeliveryStatus.document_id.in_(document_ids))).scalars():
            reported[(row.document_id, row.recipient_code)] = row
    packets: dict[tuple[int, str], OutboxMessage] = {}
    if docs:
        for message in db.session.execute(
                sa.select(OutboxMessage).where(OutboxMessage.source_type == "outgoing",
                                               OutboxMessage.source_id.in_([d.id for d in docs]),
                                               OutboxMessage.message_type == "edoc")
                .order_by(OutboxMessage.id)).scalars():
            for code in filter(None, message.to_codes.split(",")):
                packets[(message.source_id or 0, code)] = message  # the latest per recipient
    return {doc.id: [_recipient_status(recipient,
                                       reported.get((doc.document_id, recipient.org_code))
                                       if doc.document_id else None,
                                       packets.get((doc.id, recipient.org_code)))
                     for recipient in doc.recipients]
            for doc in docs}


def _recipient_status(recipient: Any, row: DeliveryStatus | None,
                      packet: OutboxMessage | None) -> dict[str, Any]:
    updated: datetime | None = None
    description = ""
    if row is not None and row.status_code in STATUS_NAMES:
        status = STATUS_NAMES[row.status_code]
        updated, description = row.reported_at or row.updated_at, row.description
    elif packet is None:
        status = "not_sent"
    elif packet.state == "dead":
        status, updated, description = "failed", packet.created_at, packet.last_error
    elif packet.state == "sent":
        status, updated = "sent", packet.sent_at
    else:
        status, updated = "pending", packet.created_at
    if recipient.takeback:
        status = TAKEBACK_NAMES[recipient.takeback]
        description = recipient.takeback_answer or recipient.takeback_reason
    if recipient.removed_at is not None:
        status, updated = "removed", recipient.removed_at
    return {"org_code": recipient.org_code, "name": recipient.org_name,
            "removed": recipient.removed_at is not None,
            "added": recipient.added_at is not None,
            "takeback": recipient.takeback,
            "takeback_reason": recipient.takeback_reason,
            "takeback_answer": recipient.takeback_answer,
            "internal": recipient.internal, "status": status,
            "status_label": DELIVERY_LABELS[status],
            "status_code": row.status_code if row is not None else "",
            "description": description, "updated_at": updated,
            "outbox_id": packet.id if packet is not None else None,
            "outbox_state": packet.state if packet is not None else ""}


# What a list page shows of each document, loaded for the whole page at once.
LIST_OPTIONS: tuple[LoaderOption, ...] = (
    joinedload(OutgoingDocument.document_type), selectinload(OutgoingDocument.recipients),
)
# What the API record adds (DESIGN.md §6 shape); the people are read by preload_people.
RECORD_OPTIONS: tuple[LoaderOption, ...] = LIST_OPTIONS + (
    joinedload(OutgoingDocument.org), selectinload(OutgoingDocument.attachments),
    selectinload(OutgoingDocument.versions), selectinload(OutgoingDocument.events),
)


def preload_people(docs: list[OutgoingDocument]) -> None:
    """Read the signers, authors and version actors of a page in one statement, so that
    ``doc.signer`` and friends come from the session's identity map (their roles are read
    only if something asks for them)."""
    ids = {i for d in docs for i in (d.signer_id, d.created_by_id)}
    ids |= {v.actor_id for d in docs for v in d.versions if v.actor_id is not None}
    if ids:
        db.session.execute(sa.select(User).where(User.id.in_(sorted(ids)))
                           .options(lazyload(User.role_rows))).scalars().all()


def replaces_of(doc: OutgoingDocument) -> OutgoingDocument | None:
    """The earlier document ``doc`` replaced (the other side of ``replaced_by``)."""
    return db.session.execute(sa.select(OutgoingDocument).where(
        OutgoingDocument.replaced_by_id == doc.id)).scalars().first()


def replaces_ids(docs: list[OutgoingDocument]) -> dict[int, int]:
    """``{id: id of the earlier document it replaced}`` for a page, in one statement."""
    if not docs:
        return {}
    out: dict[int, int] = {}
    for replaced_by, old in db.session.execute(
            sa.select(OutgoingDocument.replaced_by_id, OutgoingDocument.id)
            .where(OutgoingDocument.replaced_by_id.in_([d.id for d in docs]))
            .order_by(OutgoingDocument.id)):
        out.setdefault(replaced_by, old)
    return out


def _visible(actor: Any) -> sa.Select[tuple[OutgoingDocument]]:
    return sa.select(OutgoingDocument).where(OutgoingDocument.org_id == actor.org_id)


DRAFT_STATUSES = ("draft", "in_review", "returned", "approved", "signed")


def _drafts_query(actor: Any) -> sa.Select[tuple[OutgoingDocument]]:
    stmt = _visible(actor).where(OutgoingDocument.status.in_(DRAFT_STATUSES))
    if not actor.has_role("clerk", "admin", "leader"):
        conditions = [OutgoingDocument.created_by_id == actor.id]
        if actor.has_role("head") and actor.unit_id is not None:
            conditions.append(OutgoingDocument.unit_id == actor.unit_id)
        stmt = stmt.where(sa.or_(*conditions))
    return stmt


def drafts_for(actor: Any) -> list[OutgoingDocument]:
    """Drafts the actor wrote or has to review/sign (not yet issued)."""
    return list(db.session.execute(_drafts_query(actor).order_by(
        OutgoingDocument.updated_at.desc(), OutgoingDocument.id.desc())).scalars())


def drafts_page(actor: Any, status: str, *, page: int = 1, per_page: int = 50,
                options: tuple[LoaderOption, ...] = ()) -> tuple[list[OutgoingDocument], int]:
    """One page of :func:`drafts_for` in state ``status`` (paged in SQL) and the count;
    empty for a state that is not a draft state."""
    stmt = _drafts_query(actor).where(OutgoingDocument.status == status)
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())
                               ).scalar_one()
    rows = db.session.execute(stmt.order_by(OutgoingDocument.updated_at.desc(),
                                            OutgoingDocument.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)
                              .options(*options)).scalars()
    return list(rows), int(total)


def to_sign(actor: Any) -> list[OutgoingDocument]:
    """The leader's queue "Chờ ký": approved drafts they are the chosen signer of."""
    return list(db.session.execute(
        _visible(actor).where(OutgoingDocument.status == "approved",
                              OutgoingDocument.signer_id == actor.id)
        .order_by(OutgoingDocument.updated_at)).scalars())


def to_review(actor: Any) -> list[OutgoingDocument]:
    """Drafts waiting for the actor's review (as unit head or as the signer)."""
    docs = db.session.execute(_visible(actor).where(OutgoingDocument.status == "in_review")
                              .order_by(OutgoingDocument.updated_at)).scalars()
    return [d for d in docs
            if (d.review_stage == "head" and actor.has_role("head") and d.unit_id == actor.unit_id)
            or (d.review_stage == "leader" and d.signer_id == actor.id)]


def to_issue(actor: Any) -> list[OutgoingDocument]:
    """The clerk's queue "Chờ ban hành": signed documents of the body."""
    return list(db.session.execute(_visible(actor).where(OutgoingDocument.status == "signed")
                                   .order_by(OutgoingDocument.signed_at)).scalars())


def issued(actor: Any, *, q: str = "", page: int = 1, per_page: int = 50,
           options: tuple[LoaderOption, ...] = LIST_OPTIONS
           ) -> tuple[list[OutgoingDocument], int]:
    """Issued documents of the body, newest first, paged (the body's issued index,
    migration 0013), with ``options`` loaded for the whole page."""
    stmt = _visible(actor).where(OutgoingDocument.issued_at.is_not(None))
    if q:
        from eoffice.search.engine import matching_ids

        matches = matching_ids(actor, "outgoing", q)
        if matches is not None:
            stmt = stmt.where(OutgoingDocument.id.in_(matches))
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar()
    rows = db.session.execute(stmt.order_by(OutgoingDocument.issued_at.desc(),
                                            OutgoingDocument.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)
                              .options(*options)).scalars()
    return list(rows), int(total or 0)


def status_label(status: str) -> str:
    """Vietnamese name of a document state."""
    return STATUS_LABELS.get(status, status)
