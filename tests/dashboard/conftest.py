"""Fixtures for the dashboard tests: the small tree with documents in every state."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def cheap_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests create a dozen accounts each: hash their passwords cheaply."""
    from argon2 import PasswordHasher

    from eoffice.auth import service as auth_service

    monkeypatch.setattr(auth_service, "_hasher",
                        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def tree(make_org: Any, make_user: Any) -> Any:
    from dashboard_helpers import build_tree

    return build_tree(make_org, make_user)
