"""Per-app state of the hub (engine, sessions, settings, chaos), kept in ``app.extensions``."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from eoffice.hub.chaos import Chaos
from eoffice.hub.service import HubSettings


@dataclass
class HubState:
    """Everything a hub request needs besides the request itself."""

    engine: Engine
    sessions: sessionmaker[Session]
    settings: HubSettings
    chaos: Chaos
    skew_seconds: int = 300
    admin_user: str = "admin"
    admin_password: str | None = None
