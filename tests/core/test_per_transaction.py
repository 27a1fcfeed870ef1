"""``per_transaction``: a look-up done once per database transaction, forgotten at its end;
the audit chain stays whole across a rolled-back savepoint."""

from __future__ import annotations

import sqlalchemy as sa

from eoffice.audit.service import record, verify_chain
from eoffice.core.permissions import SYSTEM
from eoffice.core.uow import per_transaction, unit_of_work
from eoffice.extensions import db


def test_loaded_once_per_transaction_and_forgotten_at_commit_or_rollback(app, db_session):
    loads = []

    def load():  # a look-up: it reads the database (and so begins the transaction)
        db.session.execute(sa.select(1))
        loads.append(1)
        return len(loads)

    with unit_of_work():
        assert per_transaction("k", load) == 1
        assert per_transaction("k", load) == 1  # same transaction: no second load
        assert per_transaction("other", load) == 2  # keys are separate
    assert per_transaction("k", load) == 3  # committed: a new transaction reads again
    db.session.rollback()
    assert per_transaction("k", load) == 4
    with db.session.begin_nested():  # a savepoint is part of the same transaction
        assert per_transaction("k", load) == 4


def test_chain_stays_whole_when_a_savepoint_with_events_is_rolled_back(app, db_session):
    with unit_of_work():
        record(SYSTEM, "test.kept", details={"i": 1})
        savepoint = db.session.begin_nested()
        record(SYSTEM, "test.dropped", details={"i": 2})
        savepoint.rollback()
        record(SYSTEM, "test.kept", details={"i": 3})
    report = verify_chain()
    assert report.ok, report.problem
