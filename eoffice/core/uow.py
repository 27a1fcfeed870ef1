"""Unit of work: one commit per entry point, side effects after commit.

A request handler, CLI command or Celery task wraps its service calls in
``with unit_of_work() as uow:``. Services only ``flush()``; the unit of work commits
once at the end, or rolls everything back if anything raised. Work that must only
happen once the data is durable (queueing a Celery task, sending mail) is registered
with :meth:`UnitOfWork.after_commit` — never ``.delay()`` before the row exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import g

from eoffice.extensions import db

log = logging.getLogger(__name__)


class UnitOfWork:
    """Collects after-commit callbacks for the current transaction."""

    def __init__(self) -> None:
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` once the transaction has committed (dropped on rollback)."""
        self._after_commit.append(fn)

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
