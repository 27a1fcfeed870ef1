"""Who may see and manage accounts and the audit log."""

from __future__ import annotations

from typing import Any

from eoffice.core.permissions import rule
from eoffice.orgs.models import Organization
from eoffice.orgs.policy import is_within


def _target_org(obj: Any) -> Organization | None:
    if isinstance(obj, Organization):
        return obj
    return getattr(obj, "org", None)


@rule("users.view")
def can_view_user(actor: Any, obj: Any) -> bool:
    """Colleagues of the same body are visible; admins see their subtree."""
    org = _target_org(obj)
    if org is None:
        return False
    if actor.has_role("admin") and is_within(org, actor.org):
        return True
    return org.id == actor.org_id


@rule("users.manage")
def can_manage_user(actor: Any, obj: Any) -> bool:
    """Admins create and edit accounts of bodies in their subtree."""
    org = _target_org(obj)
    return actor.has_role("admin") and org is not None and is_within(org, actor.org)


@rule("tokens.manage")
def can_manage_token(actor: Any, token: Any) -> bool:
    """A user manages their own tokens; admins those of their subtree's users."""
    if token is None:
        return False
    if token.user_id == actor.id:
        return True
    return actor.has_role("admin") and is_within(token.user.org, actor.org)


@rule("audit.view")
def can_view_audit(actor: Any, obj: Any) -> bool:
    """Admins browse the audit log."""
    return actor.has_role("admin")
