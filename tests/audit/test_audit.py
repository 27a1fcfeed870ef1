"""The audit chain detects edited, inserted and deleted rows."""

from __future__ import annotations

import sqlalchemy as sa
from click.testing import CliRunner

from eoffice.audit.models import AuditEvent
from eoffice.audit.service import record, verify_chain
from eoffice.core.permissions import SYSTEM


def _events(n, db_session):
    for i in range(n):
        record(SYSTEM, "test.event", details={"i": i})
    db_session.flush()


def test_services_write_events(make_user, db_session):
    user = make_user(role="clerk")
    actions = [e.action for e in db_session.query(AuditEvent).order_by(AuditEvent.seq)]
    assert "org.create" in actions and actions[-1] == "user.create"
    last = db_session.query(AuditEvent).order_by(AuditEvent.seq.desc()).first()
    assert last.object_id == str(user.id) and last.actor_name == "system"
    assert verify_chain().ok


def test_edited_row_detected(app, db_session):
    _events(5, db_session)
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 3)
                       .values(details='{"i": 99}'))
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 3 and "edited" in report.problem


def test_deleted_row_detected(app, db_session):
    _events(5, db_session)
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 2))
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 2


def test_deleted_tail_detected(app, db_session):
    _events(4, db_session)
    db_session.execute(sa.delete(AuditEvent).where(AuditEvent.seq == 4))
    report = verify_chain()
    assert not report.ok and "head" in report.problem


def test_inserted_row_detected(app, db_session):
    _events(3, db_session)
    first = db_session.query(AuditEvent).filter_by(seq=2).one()
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq >= 2)
                       .values(seq=AuditEvent.seq + 100))
    db_session.add(AuditEvent(seq=2, at=first.at, action="forged", prev_hash=first.prev_hash,
                              hash="f" * 64))
    db_session.flush()
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 2


def test_cli_verify_exit_codes(app, db_session):
    _events(3, db_session)
    runner = CliRunner()
    ok = runner.invoke(app.cli, ["audit", "verify"])
    assert ok.exit_code == 0 and "toàn vẹn" in ok.output
    db_session.execute(sa.update(AuditEvent).where(AuditEvent.seq == 1).values(action="x"))
    bad = runner.invoke(app.cli, ["audit", "verify"])
    assert bad.exit_code == 1 and "dòng 1" in bad.output


def test_client_address_recorded_from_request(client, login, make_user, db_session):
    user = make_user()
    login(user.username)
    event = db_session.query(AuditEvent).filter_by(action="auth.login").one()
    assert event.client_addr == "127.0.0.1" and event.actor_id == user.id
