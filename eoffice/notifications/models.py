"""``Notification``: one message to one user, shown in the app until read.

Rows are written by services inside their transaction (``notifications.service.notify``);
an e-mail copy, when asked for, is sent only after that transaction commits.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eoffice.auth.models import User
from eoffice.core.db import Base, utcnow


class Notification(Base):
    """A message for a user (new document, reminder, escalation...)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    text: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]
    emailed: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()
