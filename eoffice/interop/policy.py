"""Who may act on the interconnection queues."""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule


@rule("interop.resend")
def can_resend(actor: Any, message: Any) -> bool:
    """The sending body's clerk resends its dead letters."""
    return (message is not None and actor.has_role("clerk")
            and actor.org.code == message.from_code)


@rule("interop.view_outbox")
def can_view_outbox(actor: Any, org: Any) -> bool:
    """A body's clerk and admins see its outbox."""
    return org is not None and actor.org_id == org.id and actor.has_role("clerk", "admin")
