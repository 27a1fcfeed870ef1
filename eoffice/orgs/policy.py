"""Who may do what with bodies."""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule
from eoffice.orgs.models import Organization


def is_within(org: Organization | None, root: Organization | None) -> bool:
    """Whether ``org`` is ``root`` or below it in the tree."""
    node = org
    while node is not None:
        if root is not None and node.id == root.id:
            return True
        node = node.parent
    return False


@rule("orgs.view")
def can_view_orgs(actor: Any, obj: Any) -> bool:
    """The directory of bodies is visible to every signed-in user (to choose recipients)."""
    return True


@rule("orgs.manage")
def can_manage_org(actor: Any, org: Organization | None) -> bool:
    """Admins manage bodies and units in their own body's subtree."""
    return actor.has_role("admin") and org is not None and is_within(org, actor.org)
