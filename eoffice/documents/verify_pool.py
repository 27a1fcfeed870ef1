"""PDF validation in worker processes, for a receiving worker that runs threads.

Validating a received PDF's signatures (pyHanko) is pure CPU, mostly Python: in a Celery
worker with a thread pool it holds the GIL, so one process validates on one CPU however
many packets wait. With ``INCOMING_VERIFY_PROCESSES`` = N > 0 the poll hands the PDFs of
a batch to N processes (spawned once per worker process, each with the PKI loaded once)
and primes the batch's report cache with what they answer; the thread goes on with the
database work. The reports are the same as in process: the children run
:func:`eoffice.documents.keys.verify_pdf` with the installation's trust settings.

N = 0 (the default) validates in the calling thread, as do processes that may not have
children (Celery's prefork pool: its pool processes are daemons) — there the pool is
not started and nothing changes.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)

# what validation reads from the configuration (eoffice.documents.keys)
CONFIG_KEYS = ("PKI_DIR", "PUBLIC_URL", "TRUST_ROOTS_PEM", "SIGNING_FETCH_HTTP")

_POOL: tuple[int, Executor] | None = None
_POOL_LOCK = threading.Lock()
_CHILD_APP: Flask | None = None


def _start_child(config: dict[str, Any]) -> None:
    global _CHILD_APP
    app = Flask("eoffice-verify")
    app.config.update(config)
    _CHILD_APP = app


def _validate(data: bytes) -> tuple[str, Any, Any]:
    """In a child: ("ok", report) or ("failed", template, params) for a PDF."""
    from eoffice.core.errors import ValidationFailed
    from eoffice.documents import keys

    assert _CHILD_APP is not None
    with _CHILD_APP.app_context():
        try:
            return "ok", keys.verify_pdf(data), None
        except ValidationFailed as exc:
            return "failed", exc.template, exc.params


def pool() -> Executor | None:
    """This process's validation pool, started on first use; None: validate in process."""
    global _POOL
    size = int(current_app.config.get("INCOMING_VERIFY_PROCESSES") or 0)
    if size <= 0 or multiprocessing.current_process().daemon:
        return None
    with _POOL_LOCK:
        if _POOL is None or _POOL[0] != os.getpid():
            config = {key: current_app.config.get(key) for key in CONFIG_KEYS}
            executor = ProcessPoolExecutor(
                size, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_child, initargs=(config,))
            _POOL = (os.getpid(), executor)
        return _POOL[1]


def validate_all(pdfs: list[bytes]) -> None:
    """Validate ``pdfs`` in the pool and prime the current report cache with the results
    (:func:`eoffice.documents.keys.report_cache`); without a pool, do nothing (the
    callers then validate in process as before)."""
    executor = pool()
    if executor is None or not pdfs:
        return
    from eoffice.core.errors import ValidationFailed
    from eoffice.documents import keys

    try:
        results = list(executor.map(_validate, pdfs))
    except Exception:  # a broken pool: validate in process this time, start afresh next
        log.exception("verify pool: validation in worker processes failed")
        _reset()
        return
    for data, (state, first, second) in zip(pdfs, results, strict=True):
        keys.prime_report(data, first if state == "ok"
                          else ValidationFailed(first, params=second))


def _reset() -> None:
    global _POOL
    with _POOL_LOCK:
        if _POOL is not None:
            _POOL[1].shutdown(wait=False, cancel_futures=True)
        _POOL = None
