"""The all-in-one demo's hub wiring (an operator's job in a real deployment).

``prepare_demo_hub`` puts every body of this installation and Văn phòng Chính phủ
(``000.00.00.G22``) in the hub's directory, registers two connected systems — this
installation, and the built-in peer answering for VPCP — and keeps their credentials in
``instance/hub-credentials.json``. ``run_demo_peer`` lets the peer acknowledge packets
the way a real receiver does (statuses 01 then 03).
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, current_app

from eoffice.extensions import db
from eoffice.hub import service as hub_service
from eoffice.hub.db import make_engine, make_sessionmaker, upgrade_hub_db
from eoffice.hub.peer import run_peer_once
from eoffice.interop.hub_client import HubClient
from eoffice.orgs.models import Organization

VPCP = ("000.00.00.G22", "Văn phòng Chính phủ")
INSTALLATION_SYSTEM = "eoffice-demo"
PEER_SYSTEM = "vpcp-peer"


def credentials_path(app: Flask) -> Path:
    return Path(app.instance_path) / "hub-credentials.json"


def prepare_demo_hub(app: Flask) -> None:
    """Directory and systems at the demo hub; idempotent."""
    url = app.config["HUB_DATABASE_URL"]
    upgrade_hub_db(url)
    bodies = db.session.execute(
        sa.select(Organization).where(Organization.code.is_not(None))
        .order_by(Organization.code)).scalars().all()
    directory = [(o.code, o.name, o.parent.code if o.parent is not None else None,
                  len(o.ancestors())) for o in bodies]
    db.session.rollback()  # a read transaction must not keep SQLite's write lock
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine).begin() as session:
            hub_service.register_agency(session, *VPCP)
            for code, name, parent, _depth in sorted(directory, key=lambda row: row[3]):
                hub_service.register_agency(session, code, name, parent)
            path = credentials_path(app)
            saved = json.loads(path.read_text()) if path.exists() else {}
            rotate = "installation" not in saved
            systemid, secret = hub_service.register_system(
                session, INSTALLATION_SYSTEM, [row[0] for row in directory], rotate=rotate)
            if rotate:
                saved["installation"] = {"systemid": systemid, "secret": secret}
            if "peer" not in saved:
                peer_id, peer_secret = hub_service.register_system(
                    session, PEER_SYSTEM, [VPCP[0]], rotate=True)
                saved["peer"] = {"systemid": peer_id, "secret": peer_secret}
            path.write_text(json.dumps(saved, indent=2))
            path.chmod(0o600)
    finally:
        engine.dispose()


def run_demo_peer() -> int:
    """One round of the VPCP peer (beat task in the demo)."""
    path = credentials_path(current_app)
    if not path.exists():
        return 0
    peer = json.loads(path.read_text()).get("peer")
    if not peer:
        return 0
    with HubClient(current_app.config["HUB_URL"], peer["systemid"], peer["secret"],
                   transport=current_app.extensions.get("hub_transport")) as client:
        return run_peer_once(client, VPCP[0], org_name=VPCP[1])
