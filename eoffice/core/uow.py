"""Unit of work: one commit per entry point, side effects after commit.

A request handler, CLI command or Celery task wraps its service calls in
``with unit_of_work() as uow:``. Services only ``flush()``; the unit of work commits
once at the end, or rolls everything back if anything raised. Work that must only
happen once the data is durable (queueing a Celery task, sending mail) is registered
with :meth:`UnitOfWork.after_commit` — never ``.delay()`` before the row exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import g

from eoffice.extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")


class UnitOfWork:
    """Collects after-commit callbacks for the current transaction."""

    def __init__(self) -> None:
        self._after_commit: list[Callable[[], None]] = []
        self._batches: dict[str, list[Any]] = {}

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the transaction has committed (dropped on rollback)."""
        self._after_commit.append(fn)

    def after_commit_batch(self, key: str, item: Any, send: Callable[[list[Any]], None]) -> None:
        """Add ``item`` to the transaction's batch ``key``; once it has committed,
        ``send(items)`` runs once with every item added (dropped on rollback)."""
        batch = self._batches.get(key)
        if batch is None:
            batch = self._batches[key] = []
            self.after_commit(lambda: send(batch))
        batch.append(item)

    def _run_after_commit(self) -> None:
        for fn in self._after_commit:
            try:
                fn()
            except Exception:  # the data is committed; a failed side effect must not undo it
                log.exception("after-commit hook failed")
        self._after_commit.clear()


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """Open (or join) the unit of work of the current entry point."""
    current: UnitOfWork | None = g.get("_eoffice_uow")
    if current is not None:  # nested: the outermost one commits
        yield current
        return
    uow = UnitOfWork()
    g._eoffice_uow = uow
    try:
        yield uow
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    finally:
        g._eoffice_uow = None
    uow._run_after_commit()


def after_commit(fn: Callable[[], None]) -> None:
    """Register ``fn`` on the open unit of work (services call this)."""
    current: UnitOfWork | None = g.get("_eoffice_uow")
    if current is None:
        raise RuntimeError("after_commit() needs an open unit_of_work()")
    current.after_commit(fn)


def after_commit_batch(key: str, item: Any, send: Callable[[list[Any]], None]) -> None:
    """Register ``item`` for one ``send(items)`` call after commit, with every item the
    transaction registered under ``key`` (one task for a batch's documents, not one each)."""
    current: UnitOfWork | None = g.get("_eoffice_uow")
    if current is None:
        raise RuntimeError("after_commit_batch() needs an open unit_of_work()")
    current.after_commit_batch(key, item, send)


def per_transaction(key: Hashable, load: Callable[[], T]) -> T:
    """``load()`` once per database transaction of the session, then the same value.

    For look-ups a busy path repeats within one transaction (the receiving body and its
    clerks for every packet of a batch, the audit chain's locked head): the value lives
    as long as the session's outermost transaction, so a commit or a rollback forgets
    it and the next transaction reads the database again. Only for values that the same
    transaction does not change behind the cache's back.
    """
    session = db.session()
    memo: tuple[object, dict[Hashable, object]] | None = session.info.get("eoffice_memo")
    if memo is not None and memo[0] is session.get_transaction() and key in memo[1]:
        return memo[1][key]  # type: ignore[return-value]
    value = load()
    root = session.get_transaction()  # (the load may have begun it)
    if root is not None:
        if memo is None or memo[0] is not root:
            memo = (root, {})
            session.info["eoffice_memo"] = memo
        memo[1][key] = value
    return value
