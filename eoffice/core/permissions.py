"""The single permission check: ``require(actor, action, obj)``.

Each domain declares its rules in its ``policy.py`` with :func:`rule`; services call
:func:`require` before they change anything, views call :func:`can` only to decide
what to show. Unknown actions are denied (deny by default), and so is a missing or
inactive actor.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eoffice.core.errors import PermissionDenied

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


class SystemActor:
    """The installation itself acting from the CLI or a task (an operator's shell)."""

    id = None
    username = "system"
    full_name = "Hệ thống"
    org_id = None
    is_active = True
    is_system = True
    roles: tuple[str, ...] = ()

    def has_role(self, *roles: str) -> bool:
        """The system holds no user role; it passes every rule by being the system."""
        return False


SYSTEM = SystemActor()


def rule(action: str) -> Callable[[Rule], Rule]:
    """Declare the rule deciding ``action``; one rule per action."""

    def register(fn: Rule) -> Rule:
        if action in _RULES and _RULES[action] is not fn:
            raise RuntimeError(f"permission rule {action!r} declared twice")
        _RULES[action] = fn
        return fn

    return register


def can(actor: Any, action: str, obj: Any = None) -> bool:
    """Whether ``actor`` may perform ``action`` on ``obj``."""
    if actor is None or not getattr(actor, "is_active", False):
        return False
    check = _RULES.get(action)
    if check is None:
        return False
    if getattr(actor, "is_system", False):
        return True
    return bool(check(actor, obj))


def require(actor: Any, action: str, obj: Any = None) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may perform ``action``."""
    if not can(actor, action, obj):
        raise PermissionDenied(
            "Bạn không có quyền thực hiện thao tác này.", details={"action": action}
        )


def declared_actions() -> list[str]:
    """All declared actions (for tests enumerating the permission matrix)."""
    return sorted(_RULES)
