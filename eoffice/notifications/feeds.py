"""Who hears about each step of an outgoing document (the incoming workflow notifies
from its own service).

Called by ``outgoing.service`` for every recorded step, inside its transaction:

``submit``   → the unit heads (review at the unit) or the chosen signer
``forward``  → the chosen signer (the unit head passed it on)
``approve``  → the drafter: approved, waiting for the signature
``return``   → the drafter, with the comment
``sign``     → the body's clerks (waiting to be issued) and the drafter
``issue``    → the drafter and the signer, with the number
``revoke``   → the drafter and the signer
``takeback_accepted`` / ``takeback_refused`` → the body's clerks

The person who did the step is never notified of it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from eoffice.auth.models import User, UserRole
from eoffice.extensions import db
from eoffice.notifications.service import notify

MESSAGES = {  # (lazy: rendered in the recipient's language by notify)
    "submit": _l("Dự thảo chờ duyệt"),
    "forward": _l("Dự thảo chờ duyệt"),
    "approve": _l("Dự thảo đã được duyệt, chờ ký"),
    "return": _l("Dự thảo bị trả lại"),
    "sign": _l("Văn bản đã ký, chờ ban hành"),
    "issue": _l("Văn bản đã ban hành"),
    "revoke": _l("Văn bản đã bị thu hồi"),
    "takeback_accepted": _l("Cơ quan nhận đồng ý cho lấy lại văn bản"),
    "takeback_refused": _l("Cơ quan nhận không đồng ý cho lấy lại văn bản"),
}


def _people(org_id: int, role: str, unit_id: int | None = None) -> list[User]:
    stmt = (sa.select(User).join(UserRole).where(User.org_id == org_id, User.active.is_(True),
                                                 UserRole.role == role))
    if unit_id is not None:
        stmt = stmt.where(User.unit_id == unit_id)
    return list(db.session.execute(stmt.order_by(User.id)).scalars().unique())


def _recipients(doc: Any, action: str) -> list[Any]:
    if action == "submit":
        if doc.review_stage == "head" and doc.unit_id is not None:
            return _people(doc.org_id, "head", doc.unit_id)
        return [doc.signer]
    if action == "forward":
        return [doc.signer]
    if action in ("approve", "return"):
        return [doc.created_by]
    if action == "sign":
        return [*_people(doc.org_id, "clerk"), doc.created_by]
    if action in ("issue", "revoke"):
        return [doc.created_by, doc.signer]
    if action in ("takeback_accepted", "takeback_refused"):
        return _people(doc.org_id, "clerk")
    return []


def outgoing_step(actor: Any, doc: Any, action: str, comment: str = "") -> int:
    """Notify the people concerned by ``action`` on ``doc``; how many were notified."""
    title = MESSAGES.get(action)
    if title is None:
        return 0
    label = f"{doc.code} " if doc.code else ""
    text = f"{label}{doc.subject}"
    if comment and action in ("return", "takeback_accepted", "takeback_refused"):
        text += f" — {comment}"
    urgent = doc.urgency in ("thuong_khan", "hoa_toc")
    seen: set[int] = {getattr(actor, "id", None) or 0}
    for person in _recipients(doc, action):
        if person is None or person.id in seen or not person.active:
            continue
        seen.add(person.id)
        notify(person, f"outgoing.{action}", lambda: f"{title}: {text}"[:1000],
               f"/outgoing/{doc.id}", email=urgent)
    return len(seen) - 1
