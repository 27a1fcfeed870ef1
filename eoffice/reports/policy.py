"""Who may export a body's registers and reports (deny by default).

The registers list every document's subject, addressees and handlers, so they stay inside
the body, like the documents themselves (the incoming policy: nobody outside the
receiving body sees anything of it). Only the body's clerk (văn thư, who keeps and prints
the registers, Decree 30 Điều 16 and 22) and its leaders may export them. Leaders of a
parent body do not see a subordinate body's registers: they follow its figures on the
statistics dashboard, which carries counts, not subjects.
"""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule


@rule("reports.export")
def can_export(actor: Any, org: Any) -> bool:
    """The body's clerk and leaders export its registers and reports."""
    return (org is not None and actor.org_id == org.id
            and actor.has_role("clerk", "leader"))
