"""The progress tree of one outgoing document (a province's directive) down the tiers.

Level 1 — each addressee of the document (the districts): its latest QCVN 102 status as
reported back through the hub (01 received, 02 refused, 03 registered, 04 assigned,
05 processing, 06 completed; none yet = on its way), and whether it REPORTED BACK: an
incoming document of the issuing body whose ``ResponseFor`` names this document's
``DocumentId`` and whose sender is that addressee (a BC sent "in response to").
Level 2 — each electronic copy (sao y) an addressee made of the document and forwarded
below (``ForwardedCopy.original_document_id``), with, per commune it was sent to, that
commune's latest status for the copy and whether the commune reported back to the
district in response to the copy.

The copies and the district's incoming replies are read from this installation's
database: one installation serves the whole province (DESIGN.md §1). A district on
another installation appears with its statuses and reports only (no level 2).

The tree is built with a fixed number of queries whatever its size (the document's
recipients, the statuses of the document, the issuer's replies, the copies with their
recipients and bodies, the statuses of the copies, the districts' replies to the copies);
``tests/tiers`` count them for 2 districts × 2 communes and for 15 × 12.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from eoffice.core.permissions import require
from eoffice.extensions import db
from eoffice.incoming.models import IncomingDocument
from eoffice.interop.models import DeliveryStatus
from eoffice.outgoing.models import OutgoingDocument, OutgoingRecipient
from eoffice.tiers import policy as _policy  # noqa: F401  (declares the tiers.* rules)
from eoffice.tiers.models import ForwardedCopy

STATUS_KEYS = {"": "sent", "01": "received", "02": "refused", "03": "accepted",
               "04": "assigned", "05": "processing", "06": "completed"}
STATUS_NAMES = {
    "sent": "Đã gửi, chưa báo nhận",
    "received": "Đã nhận, chưa vào sổ",
    "refused": "Từ chối tiếp nhận",
    "accepted": "Đã vào sổ",
    "assigned": "Đã phân công xử lý",
    "processing": "Đang xử lý",
    "completed": "Đã hoàn thành",
}
_REGISTERED = ("03", "04", "05", "06")


def _status(row: DeliveryStatus | None) -> dict[str, Any]:
    code = row.status_code if row is not None else ""
    key = STATUS_KEYS.get(code, "sent")
    return {"status_code": code, "status": key, "status_name": STATUS_NAMES[key],
            "updated_at": row.updated_at if row is not None else None}


def _replies(org_ids: list[int], document_ids: set[str]
             ) -> dict[tuple[int, str, str], list[IncomingDocument]]:
    """Incoming documents of ``org_ids`` answering any of ``document_ids``, keyed by
    (receiving body, sender code, answered DocumentId)."""
    out: dict[tuple[int, str, str], list[IncomingDocument]] = defaultdict(list)
    if not org_ids or not document_ids:
        return out
    rows = db.session.execute(
        sa.select(IncomingDocument).where(IncomingDocument.org_id.in_(org_ids),
                                          IncomingDocument.response_for != "[]",
                                          IncomingDocument.response_for != "",
                                          IncomingDocument.status != "refused")
        .order_by(IncomingDocument.received_at)).scalars()
    for doc in rows:
        try:
            answered = {r.get("document_id") for r in json.loads(doc.response_for or "[]")}
        except (ValueError, AttributeError):
            continue
        for document_id in answered & document_ids:
            out[(doc.org_id, doc.issuer_code, document_id)].append(doc)
    return out


def _reply_record(doc: IncomingDocument) -> dict[str, Any]:
    return {"incoming_id": doc.id, "code": doc.code, "subject": doc.subject,
            "type_name": doc.type_name, "received_at": doc.received_at}


def build_tree(actor: Any, doc: OutgoingDocument) -> dict[str, Any]:
    """The progress tree of ``doc`` (the issuing body only)."""
    require(actor, "tiers.tree", doc)
    recipients = list(db.session.execute(
        sa.select(OutgoingRecipient).where(OutgoingRecipient.document_id == doc.id)
        .order_by(OutgoingRecipient.org_code)).scalars())
    statuses = {s.recipient_code: s for s in db.session.execute(
        sa.select(DeliveryStatus).where(DeliveryStatus.document_id == doc.document_id)
    ).scalars()} if doc.document_id else {}
    replies = _replies([doc.org_id], {doc.document_id}) if doc.document_id else {}
    copies = list(db.session.execute(
        sa.select(ForwardedCopy).options(selectinload(ForwardedCopy.recipients),
                                         selectinload(ForwardedCopy.org))
        .where(ForwardedCopy.original_document_id == doc.document_id)
        .order_by(ForwardedCopy.id)).scalars()) if doc.document_id else []
    copy_ids = {c.document_id for c in copies}
    copy_statuses = {(s.document_id, s.recipient_code): s for s in db.session.execute(
        sa.select(DeliveryStatus).where(DeliveryStatus.document_id.in_(copy_ids))
    ).scalars()} if copy_ids else {}
    copy_replies = _replies(sorted({c.org_id for c in copies}), copy_ids)
    copies_by_org: dict[str, list[ForwardedCopy]] = defaultdict(list)
    for copy in copies:
        copies_by_org[copy.org.code or ""].append(copy)

    nodes = []
    for recipient in recipients:
        code = recipient.org_code
        answers = replies.get((doc.org_id, code, doc.document_id), [])
        node_copies = []
        for copy in copies_by_org.get(code, []):
            node_copies.append({
                "copy_id": copy.id, "code": copy.code, "copied_on": copy.copied_on,
                "document_id": copy.document_id,
                "recipients": [{
                    "org_code": r.org_code, "org_name": r.org_name,
                    **_status(copy_statuses.get((copy.document_id, r.org_code))),
                    "reported": bool(copy_replies.get((copy.org_id, r.org_code,
                                                       copy.document_id))),
                    "reports": [_reply_record(d) for d in copy_replies.get(
                        (copy.org_id, r.org_code, copy.document_id), [])],
                } for r in copy.recipients],
            })
        nodes.append({
            "org_code": code, "org_name": recipient.org_name, "active": recipient.active,
            **_status(statuses.get(code)),
            "reported": bool(answers), "reports": [_reply_record(d) for d in answers],
            "copies": node_copies,
        })
    active = [n for n in nodes if n["active"]]
    return {
        "document": {"id": doc.id, "code": doc.code, "subject": doc.subject,
                     "document_id": doc.document_id, "issued_on": doc.issued_on,
                     "org_code": doc.org.code, "org_name": doc.org.name},
        "summary": {
            "recipients": len(active),
            "received": sum(1 for n in active if n["status_code"] and n["status_code"] != "02"),
            "registered": sum(1 for n in active if n["status_code"] in _REGISTERED),
            "completed": sum(1 for n in active if n["status_code"] == "06"),
            "refused": sum(1 for n in active if n["status_code"] == "02"),
            "reported": sum(1 for n in active if n["reported"]),
            "forwarded": sum(1 for n in active if n["copies"]),
            "copies_sent": sum(len(c["recipients"]) for n in active for c in n["copies"]),
        },
        "nodes": nodes,
    }
