"""Helpers for the tiers tests."""

from __future__ import annotations

from typing import Any


def demo_user(name: str) -> Any:
    """A demo account by username."""
    from eoffice.auth.service import find_user

    found = find_user(name)
    assert found is not None, name
    return found
