"""Notify users in the app and, optionally, by e-mail.

A notification is written in its recipient's language (``user.locale``, the interface
language of their account): callers pass the text as a function that composes it with
``_()``, and ``notify`` calls it with that language in force, so the notification list
and the e-mail read in it.

``notify`` writes the row in the caller's transaction. E-mail goes through ``smtplib``
to ``SMTP_HOST``/``SMTP_PORT`` after commit (never before the row exists); with no
``SMTP_HOST`` configured no mail is sent. A failed send is logged, never raised: the
in-app notification is the record.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from eoffice.core.db import utcnow
from eoffice.core.errors import NotFound
from eoffice.core.uow import after_commit
from eoffice.extensions import db
from eoffice.notifications.models import Notification

log = logging.getLogger(__name__)


def notify(user: Any, kind: str, text: str | Callable[[], str], link: str = "", *,
           email: bool = False) -> Notification:
    """Add a notification for ``user``; with ``email`` also mail it after commit.

    ``text`` is a function composing the message with ``_()`` (called in ``user``'s
    language), or a string stored as it is.
    """
    locale = getattr(user, "locale", None)
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["LANGUAGES"][0]  # (Vietnamese)
    with force_locale(locale):
        message = text() if callable(text) else text
        signature = _("Văn phòng điện tử (thư tự động, vui lòng không trả lời)")
    note = Notification(user_id=user.id, kind=kind, text=message, link=link)
    db.session.add(note)
    db.session.flush()
    address = getattr(user, "email", "")
    if email and address and current_app.config.get("SMTP_HOST"):
        config = dict(current_app.config)
        note.emailed = True
        body = _body(message, link, config, signature)
        after_commit(lambda: send_email(config, address, message, body))
    return note


def _body(text: str, link: str, config: dict[str, Any], signature: str) -> str:
    url = config.get("PUBLIC_URL", "").rstrip("/") + link if link.startswith("/") else link
    return f"{text}\n\n{url}\n\n-- \n{signature}\n"


def send_email(config: dict[str, Any], to: str, subject: str, body: str) -> bool:
    """Send one plain-text message through the configured SMTP server."""
    message = EmailMessage()
    message["From"] = config.get("SMTP_FROM") or "eoffice@localhost"
    message["To"] = to
    message["Subject"] = subject[:200]
    message.set_content(body)
    try:
        with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                          timeout=float(config.get("SMTP_TIMEOUT") or 10)) as smtp:
            if config.get("SMTP_STARTTLS"):
                smtp.starttls()
            if config.get("SMTP_USER"):
                smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("e-mail to %s not sent: %s", to, exc)
        return False
    return True


def unread_for(user: Any, limit: int = 50) -> list[Notification]:
    """A user's unread notifications, newest first."""
    return list(db.session.execute(
        sa.select(Notification).where(Notification.user_id == user.id,
                                      Notification.read_at.is_(None))
        .order_by(Notification.id.desc()).limit(limit)).scalars())


def mark_read(user: Any, note_id: int) -> Notification:
    """Mark one of the user's notifications as read."""
    note = db.session.get(Notification, note_id)
    if note is None or note.user_id != user.id:
        raise NotFound("Không tìm thấy thông báo.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


def unread_count(user: Any) -> int:
    """How many notifications the user has not read."""
    return int(db.session.execute(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))).scalar_one())


def page_for(user: Any, *, page: int = 1, per_page: int = 20, unread_only: bool = False
             ) -> tuple[list[Notification], int]:
    """One page of the user's notifications, newest first, and the total."""
    stmt = sa.select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    total = db.session.execute(sa.select(sa.func.count()).select_from(stmt.subquery())
                               ).scalar_one()
    rows = db.session.execute(stmt.order_by(Notification.id.desc()).limit(per_page)
                              .offset((max(page, 1) - 1) * per_page)).scalars()
    return list(rows), int(total)


def mark_all_read(user: Any, ids: list[int] | None = None) -> int:
    """Mark the user's unread notifications (all, or those of ``ids``) as read; how many."""
    stmt = sa.update(Notification).where(Notification.user_id == user.id,
                                         Notification.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(ids))
    result = db.session.execute(stmt.values(read_at=utcnow()).execution_options(
        synchronize_session=False))
    db.session.flush()
    return int(result.rowcount or 0)


def safe_link(link: str) -> str:
    """The notification's link if it is a path of this site, else the list page."""
    if link.startswith("/") and not link.startswith("//") and "\\" not in link:
        return link
    return ""
