"""Who may see which figures (deny by default).

A body's leaders, its clerk (văn thư, who keeps the registers) and its administrators see
the figures of their own body and of every body below it in the tree — a district sees its
communes, the province sees everything — never a parent's or a sibling branch's.
Everyone signed in sees their own "my work" panel (it only counts their own queues).
"""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule
from eoffice.orgs.models import Organization
from eoffice.orgs.policy import is_within

STATS_ROLES = ("leader", "clerk", "admin")


@rule("stats.view")
def can_view_stats(actor: Any, org: Organization | None) -> bool:
    """Leaders, clerks and admins, for their body and its subtree."""
    return (org is not None and actor.has_role(*STATS_ROLES)
            and is_within(org, actor.org))
