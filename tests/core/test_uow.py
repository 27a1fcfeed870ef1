import pytest

from eoffice.core.uow import after_commit, after_commit_batch, unit_of_work


def test_after_commit_runs_only_after_success(app, db_session):
    ran = []
    with unit_of_work():
        after_commit(lambda: ran.append("sent"))
        assert ran == []
    assert ran == ["sent"]


def test_after_commit_dropped_on_rollback(app, db_session, make_org):
    from eoffice.orgs.models import Organization

    ran = []
    with pytest.raises(RuntimeError):
        with unit_of_work():
            make_org(code="000.00.00.H90")
            after_commit(lambda: ran.append("sent"))
            raise RuntimeError("boom")
    assert ran == []
    assert db_session.query(Organization).filter_by(code="000.00.00.H90").count() == 0


def test_after_commit_needs_an_open_unit(app, db_session):
    with pytest.raises(RuntimeError):
        after_commit(lambda: None)


def test_after_commit_batch_sends_each_key_once_with_all_its_items(app, db_session):
    sent = []
    with unit_of_work():
        for item in (1, 2, 3):
            after_commit_batch("a", item, lambda items: sent.append(("a", list(items))))
        after_commit_batch("b", "x", lambda items: sent.append(("b", list(items))))
        assert sent == []
    assert sent == [("a", [1, 2, 3]), ("b", ["x"])]
    with pytest.raises(RuntimeError):  # dropped with the transaction
        with unit_of_work():
            after_commit_batch("a", 4, lambda items: sent.append(("a", list(items))))
            raise RuntimeError("boom")
    assert len(sent) == 2
    with pytest.raises(RuntimeError):
        after_commit_batch("a", 5, lambda items: None)
