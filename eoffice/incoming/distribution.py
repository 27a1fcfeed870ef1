"""Internal distribution of a registered incoming document "to inform" (phân phối, để biết).

Data model
----------
``IncomingDistribution``  one row per (incoming document, person of the receiving body)
    the document was sent to for information — không cần xử lý, nothing to report back.
    ``unit_id`` names the internal unit the person was reached through (``None`` when the
    clerk picked the person by name); ``read_at`` is empty until the person opens the
    document page or presses "Đã đọc". A person gets at most one row per document
    (sending again to someone who already has it adds nothing).

Rules
-----
* Only a REGISTERED document (it has a số đến) that is still open or completed may be
  distributed: not before registration (409), not once refused, revoked, replaced or
  withdrawn (409).
* The body's clerk (văn thư, who manages incoming documents centrally, Decree 30 Điều 4.2b)
  or a leader distributes, to internal units (``tier='unit'`` orgs of the same body) and/or
  people of the same body. A person or unit of another body is refused (403), an unknown
  one is bad input (400); nothing is written in either case.
* A unit EXPANDS TO ITS MEMBERS AT SEND TIME: the active users whose unit is that unit or
  a unit below it get a row each. Someone who joins the unit later does not receive the
  document; someone who leaves keeps it. This is what a paper distribution list does, and
  it makes "who has read it" a fixed list the clerk can chase.
* A recipient sees the document because it was distributed to them
  (``incoming.policy.can_view`` and ``queries.visible_query`` consult this table) — only
  inside the receiving body; nobody else gains access.
* The clerk and the leaders of the body see who has read it and who has not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.audit import service as audit
from eoffice.auth.models import User
from eoffice.core.db import Base, utcnow
from eoffice.core.errors import BadRequest, Conflict, InvalidTransition, PermissionDenied
from eoffice.core.permissions import require, rule
from eoffice.extensions import db
from eoffice.incoming import policy
from eoffice.incoming.models import IncomingDocument
from eoffice.notifications.service import notify
from eoffice.orgs.models import Organization

CLOSED = ("refused", "revoked", "replaced", "withdrawn")


class IncomingDistribution(Base):
    """An incoming document sent to one person of the body for information."""

    __tablename__ = "incoming_distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("incoming_documents.id"),
                                             index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    sent_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    read_at: Mapped[datetime | None]

    document: Mapped[IncomingDocument] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    unit: Mapped[Organization | None] = relationship()
    sent_by: Mapped[User | None] = relationship(foreign_keys=[sent_by_id])

    __table_args__ = (sa.UniqueConstraint("document_id", "user_id"),)


# ---------------------------------------------------------------------------------------
# rules


def is_recipient(actor: Any, doc: Any) -> bool:
    """Whether ``doc`` was distributed to ``actor`` (inside the receiving body only)."""
    if doc is None or getattr(actor, "id", None) is None or actor.org_id != doc.org_id:
        return False
    return db.session.execute(sa.select(IncomingDistribution.id).where(
        IncomingDistribution.document_id == doc.id,
        IncomingDistribution.user_id == actor.id)).first() is not None


@rule("incoming.distribute")
def can_distribute(actor: Any, doc: Any) -> bool:
    """The body's clerk or a leader sends the document to units and people to inform."""
    return policy.is_clerk(actor, doc) or policy.is_leader(actor, doc)


@rule("incoming.distribution")
def can_see_distribution(actor: Any, doc: Any) -> bool:
    """The body's clerk and leaders see who has read it and who has not."""
    return policy.is_clerk(actor, doc) or policy.is_leader(actor, doc)


# ---------------------------------------------------------------------------------------
# sending


def units_of(body: Organization) -> list[Organization]:
    """The internal units of ``body`` (at any depth)."""
    rows = db.session.execute(
        sa.select(Organization).where(Organization.tier_key == "unit")).scalars()
    return [u for u in rows if u.body.id == body.id]


def _find_unit(spec: Any, body: Organization) -> Organization:
    """A unit by id (``12`` / ``"unit:12"``), organisation code, or short name in the body."""
    text = str(spec if spec is not None else "").strip()
    if not text:
        raise BadRequest("Đơn vị nhận không được để trống.", details={"field": "units"})
    unit: Organization | None = None
    ident = text.removeprefix("unit:")
    if ident.isdigit():
        unit = db.session.get(Organization, int(ident))
    if unit is None:
        unit = db.session.execute(sa.select(Organization).where(
            Organization.code == text)).scalar_one_or_none()
    if unit is None:
        unit = next((u for u in units_of(body)
                     if u.short_name.casefold() == text.casefold()), None)
    if unit is None or unit.tier_key != "unit":
        raise BadRequest("Không tìm thấy đơn vị nhận.", details={"field": "units",
                                                                 "unit": text})
    if unit.body.id != body.id:
        raise PermissionDenied("Chỉ phân phối được cho đơn vị của cơ quan mình.",
                               details={"field": "units", "unit": text})
    return unit


def _find_user(spec: Any, body: Organization) -> User:
    name = str(spec if spec is not None else "").strip()
    user = db.session.execute(sa.select(User).where(User.username == name)
                              ).scalar_one_or_none() if name else None
    if user is None or not user.active:
        raise BadRequest("Không tìm thấy người nhận.", details={"field": "users", "user": name})
    if user.org_id != body.id:
        raise PermissionDenied("Chỉ phân phối được cho người của cơ quan mình.",
                               details={"field": "users", "user": name})
    return user


def unit_members(unit: Organization) -> list[User]:
    """Active users of ``unit`` and of the units below it (the send-time expansion)."""
    ids = [unit.id]
    frontier = [unit.id]
    while frontier:
        frontier = list(db.session.execute(sa.select(Organization.id).where(
            Organization.parent_id.in_(frontier), Organization.tier_key == "unit")).scalars())
        ids.extend(frontier)
    return list(db.session.execute(sa.select(User).where(
        User.unit_id.in_(ids), User.active.is_(True)).order_by(User.full_name)).scalars())


def _check_state(doc: IncomingDocument) -> None:
    if doc.status in CLOSED:
        raise InvalidTransition("Văn bản đã bị từ chối, thu hồi, thay thế hoặc trả lại; "
                                "không phân phối được.", details={"status": doc.status})
    if doc.incoming_number is None or doc.status == "received":
        raise InvalidTransition("Văn bản chưa vào sổ, chưa phân phối được.",
                                details={"status": doc.status})


def distribute(actor: Any, doc: IncomingDocument, *, units: list[Any] | None = None,
               users: list[Any] | None = None, note: str = "") -> list[IncomingDistribution]:
    """Send ``doc`` to units (expanded to their members now) and people of the body.

    Returns the rows added; people who already had the document are not added twice.
    """
    require(actor, "incoming.distribute", doc)
    _check_state(doc)
    units, users = list(units or []), list(users or [])
    if not units and not users:
        raise BadRequest("Chưa chọn đơn vị hoặc người nhận.", details={"field": "units"})
    if len(note or "") > 2000:
        raise BadRequest("Ghi chú dài quá 2000 ký tự.", details={"field": "note"})
    body = doc.org
    targets: dict[int, tuple[User, Organization | None]] = {}
    for spec in users:
        person = _find_user(spec, body)
        targets.setdefault(person.id, (person, None))
    for spec in units:
        unit = _find_unit(spec, body)
        members = unit_members(unit)
        if not members:
            raise BadRequest("Đơn vị được chọn chưa có người dùng nào.",
                             details={"field": "units", "unit": unit.name})
        for person in members:
            targets.setdefault(person.id, (person, unit))
    targets.pop(actor.id, None)  # the sender has it already
    existing = set(db.session.execute(sa.select(IncomingDistribution.user_id).where(
        IncomingDistribution.document_id == doc.id)).scalars())
    fresh = [(p, u) for uid, (p, u) in targets.items() if uid not in existing]
    if not fresh:
        raise Conflict("Những người được chọn đều đã nhận văn bản này.",
                       details={"already": sorted(p.username for p, _ in targets.values())})
    now = utcnow()
    rows = []
    for person, unit in fresh:
        row = IncomingDistribution(document_id=doc.id, user_id=person.id, user=person,
                                   unit_id=unit.id if unit else None, sent_by_id=actor.id,
                                   sent_at=now, note=(note or "").strip())
        db.session.add(row)
        rows.append(row)
    db.session.flush()
    label = " ".join(filter(None, [doc.code, doc.subject]))[:300]
    for row in rows:
        notify(row.user, "incoming.distributed",
               lambda: _("Văn bản để biết: %(label)s", label=label), f"/incoming/{doc.id}")
    audit.record(actor, "incoming.distributed", doc, details={
        "users": [r.user.username for r in rows],
        "units": sorted({u.name for _, u in fresh if u is not None}),
        "note": (note or "")[:200]})
    return rows


# ---------------------------------------------------------------------------------------
# reading


def _row_for(actor: Any, doc: IncomingDocument) -> IncomingDistribution | None:
    if getattr(actor, "id", None) is None:
        return None
    return db.session.execute(sa.select(IncomingDistribution).where(
        IncomingDistribution.document_id == doc.id,
        IncomingDistribution.user_id == actor.id)).scalar_one_or_none()


def mark_read(actor: Any, doc: IncomingDocument) -> IncomingDistribution:
    """The recipient presses "Đã đọc" (409 when it was not distributed to them)."""
    require(actor, "incoming.view", doc)
    row = _row_for(actor, doc)
    if row is None:
        raise Conflict("Văn bản này không được phân phối cho bạn để biết.")
    if row.read_at is None:
        row.read_at = utcnow()
        db.session.flush()
        audit.record(actor, "incoming.read", doc, details={"distribution": row.id})
    return row


def mark_opened(actor: Any, doc: IncomingDocument) -> bool:
    """Opening the document page counts as reading it; ``True`` if this was the first time."""
    row = _row_for(actor, doc)
    if row is None or row.read_at is not None:
        return False
    row.read_at = utcnow()
    db.session.flush()
    return True


def distribution_of(actor: Any, doc: IncomingDocument) -> list[IncomingDistribution]:
    """Everyone the document was distributed to, unread first (clerk and leaders)."""
    require(actor, "incoming.distribution", doc)
    rows = db.session.execute(sa.select(IncomingDistribution).where(
        IncomingDistribution.document_id == doc.id).order_by(IncomingDistribution.id)).scalars()
    return sorted(rows, key=lambda r: (r.read_at is not None, r.user.full_name))


def my_row(actor: Any, doc: IncomingDocument) -> IncomingDistribution | None:
    """The actor's own distribution row for ``doc`` (for the "Đã đọc" button)."""
    return _row_for(actor, doc)


def to_inform(actor: Any, *, unread_only: bool = False, page: int = 1, per_page: int = 30
              ) -> tuple[list[IncomingDistribution], int]:
    """The person's "Văn bản để biết": documents distributed to them, newest first."""
    stmt = (sa.select(IncomingDistribution).join(IncomingDocument)
            .where(IncomingDistribution.user_id == actor.id,
                   IncomingDocument.org_id == actor.org_id))
    if unread_only:
        stmt = stmt.where(IncomingDistribution.read_at.is_(None))
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())
                               ).scalar_one()
    rows = db.session.execute(stmt.order_by(IncomingDistribution.sent_at.desc(),
                                            IncomingDistribution.id.desc())
                              .limit(per_page).offset((page - 1) * per_page)).scalars()
    return list(rows), total


def unread_count(actor: Any) -> int:
    """How many documents distributed to the person are still unread."""
    if getattr(actor, "id", None) is None:
        return 0
    return db.session.execute(sa.select(sa.func.count()).select_from(IncomingDistribution)
                              .join(IncomingDocument).where(
        IncomingDistribution.user_id == actor.id, IncomingDistribution.read_at.is_(None),
        IncomingDocument.org_id == actor.org_id)).scalar_one()
