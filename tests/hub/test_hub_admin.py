"""Schema, CLI, retention, admin page, the built-in peer, and the hub's independence."""

from __future__ import annotations

import ast
import base64
import json
from datetime import timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from hub_helpers import PROVINCE, RACHGIA, VPCP, Creds, client_for, edoc_bytes
from sqlalchemy import inspect, select

from eoffice.hub import create_hub_app
from eoffice.hub import service as hub_service
from eoffice.hub.cli import hub_cli
from eoffice.hub.db import make_engine, upgrade_hub_db
from eoffice.hub.models import HubBase, Packet, RequestLog, utcnow
from eoffice.hub.peer import run_peer_once
from eoffice.interop.edxml import parse_packet
from eoffice.interop.hub_client import HubError

HUB_DIR = Path(__file__).resolve().parents[2] / "eoffice" / "hub"


def test_migrations_match_models(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade_hub_db(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            assert "hub_alembic_version" in tables
            assert all(name.startswith("hub_") for name in tables)
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, *_: (
                        not (type_ == "table" and name == "hub_alembic_version")
                    ),
                },
            )
            assert compare_metadata(context, HubBase.metadata) == []
    finally:
        engine.dispose()


def test_factory_has_no_side_effects(tmp_path):
    url = f"sqlite:///{tmp_path}/none/hub.db"
    hub_app = create_hub_app({"HUB_DATABASE_URL": url})
    assert not (tmp_path / "none").exists()
    assert hub_app.config["HUB_DATABASE_URL"] == url
    hub_app.extensions["hub"].engine.dispose()


def test_config_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("HUB_CHAOS_FAIL_RATE", "0.25")
    monkeypatch.setenv("HUB_ALLOW_ZIP", "true")
    hub_app = create_hub_app({"HUB_DATABASE_URL": f"sqlite:///{tmp_path}/h.db"})
    state = hub_app.extensions["hub"]
    assert state.chaos.fail_rate == 0.25
    assert state.settings.allow_zip is True
    # Explicit configuration wins over the environment.
    hub_app = create_hub_app({"HUB_DATABASE_URL": "sqlite://", "HUB_CHAOS_FAIL_RATE": 0})
    assert hub_app.extensions["hub"].chaos.fail_rate == 0


def test_hub_does_not_import_the_main_app():
    forbidden = ("eoffice.core", "eoffice.auth", "eoffice.orgs", "eoffice.extensions")
    for path in HUB_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(forbidden), f"{path} imports {name}"
                assert name != "eoffice", f"{path} imports the eoffice package itself"


def test_cli_register_system_and_directory(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path}/cli/hub.db"
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    runner = CliRunner()
    result = runner.invoke(hub_cli, ["init"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(hub_cli, ["add-agency", PROVINCE, "UBND tỉnh Kiên Giang"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        hub_cli, ["add-agency", RACHGIA, "UBND thành phố Rạch Giá", "--parent", PROVINCE]
    )
    assert result.exit_code == 0, result.output

    result = runner.invoke(
        hub_cli, ["register-system", "eoffice Kiên Giang", "--org", PROVINCE, "--org", RACHGIA]
    )
    assert result.exit_code == 0, result.output
    lines = dict(line.split(": ", 1) for line in result.output.strip().splitlines())
    systemid, secret = lines["systemid"], lines["secret"]
    assert len(secret) >= 40

    # Idempotent by name: same systemid, the secret is not shown again.
    again = runner.invoke(hub_cli, ["register-system", "eoffice Kiên Giang", "--org", VPCP])
    assert again.exit_code == 0, again.output
    assert f"systemid: {systemid}" in again.output
    assert secret not in again.output

    rotated = runner.invoke(
        hub_cli, ["register-system", "eoffice Kiên Giang", "--org", PROVINCE, "--rotate", "--json"]
    )
    data = json.loads(rotated.output)
    assert data["systemid"] == systemid
    assert data["secret"] and data["secret"] != secret

    # The directory and ownership are what the hub hub_app serves.
    hub_app = create_hub_app({"HUB_DATABASE_URL": url})
    with client_for(hub_app, Creds(systemid, data["secret"])) as client:
        agencies = {a["code"]: a for a in client.get_agencies()}
    assert agencies[RACHGIA]["parentCode"] == PROVINCE
    assert agencies[VPCP]["connected"] is True  # added by --org VPCP
    hub_app.extensions["hub"].engine.dispose()

    conflict = runner.invoke(hub_cli, ["register-system", "Other", "--org", PROVINCE])
    assert conflict.exit_code != 0
    assert "thuộc hệ thống khác" in conflict.output


def test_purge_keeps_unacknowledged_packets(hub, hub_app, province, vpcp, pdf_bytes):
    acked = province.send_edoc(edoc_bytes(pdf_bytes, number="01"), PROVINCE)
    pending = province.send_edoc(edoc_bytes(pdf_bytes, number="02"), PROVINCE)
    vpcp.update_status(acked, "done")
    sessions = hub_app.extensions["hub"].sessions
    later = utcnow() + timedelta(days=31)
    with sessions.begin() as session:
        counts = hub_service.purge(session, older_than=timedelta(days=30), now=later)
    assert counts["packets"] == 1
    assert counts["requests"] > 0
    with sessions() as session:
        assert list(session.scalars(select(Packet.doc_id))) == [pending]
        assert session.scalars(select(RequestLog)).first() is None
    assert [i["docId"] for i in vpcp.get_received_list("edoc")] == [pending]
    # Nothing younger than the cutoff goes.
    with sessions.begin() as session:
        assert hub_service.purge(session, older_than=timedelta(days=30))["packets"] == 0


def test_cli_purge(hub, monkeypatch):
    monkeypatch.setenv("HUB_DATABASE_URL", hub.url)
    result = CliRunner().invoke(hub_cli, ["purge", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "0 gói tin" in result.output


def test_admin_page(hub, province, vpcp, pdf_bytes):
    province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
    forger = client_for(hub.make_app(), Creds(hub.vpcp.systemid, "forged"))
    with forger, pytest.raises(HubError):  # a forged call, to show up as a failure
        forger.get_agencies()

    closed = hub.make_app().test_client()
    assert closed.get("/admin").status_code == 404

    hub_app = hub.make_app(HUB_ADMIN_PASSWORD="s3cret")
    web = hub_app.test_client()
    denied = web.get("/admin")
    assert denied.status_code == 401
    assert "Basic" in denied.headers["WWW-Authenticate"]
    wrong = base64.b64encode(b"admin:nope").decode()
    assert web.get("/admin", headers={"Authorization": f"Basic {wrong}"}).status_code == 401
    good = base64.b64encode(b"admin:s3cret").decode()
    page = web.get("/admin", headers={"Authorization": f"Basic {good}"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Gói tin chờ nhận theo cơ quan" in html
    assert VPCP in html and "Văn phòng Chính phủ" in html  # one pending delivery
    assert "sendEdoc" in html and "getAgenciesList" in html
    assert "401" in html  # the forged call is listed among failures


def test_builtin_peer_acknowledges_like_a_receiver(hub, hub_app, province, vpcp, pdf_bytes):
    doc_id = province.send_edoc(edoc_bytes(pdf_bytes), PROVINCE)
    assert run_peer_once(vpcp, VPCP) == 1
    assert vpcp.get_received_list("edoc") == []
    statuses = province.get_received_list("status")
    codes = [parse_packet(province.get_edoc(item["docId"])).status_code for item in statuses]
    assert codes == ["01", "03"]
    [row] = province.get_sent_list()
    assert (row["docId"], row["sendStatus"], row["receiveStatus"]) == (doc_id, "done", "03")
    # Nothing left to do on a second run.
    assert run_peer_once(vpcp, VPCP) == 0
