"""``eoffice run``: the whole system in one command (DESIGN.md §3, zero-setup).

Migrates, seeds the demo once, prepares the hub's tables, then serves the web app
with the hub mounted at ``/hub`` and starts a Celery worker and beat as child
processes on the embedded broker. Ctrl-C (or SIGTERM) stops all of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

from flask import Flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import run_simple

from eoffice.core.schema import upgrade_database
from eoffice.core.uow import unit_of_work
from eoffice.extensions import db


def prepare(app: Flask) -> None:
    """Schema, demo data, hub tables: each only when missing."""
    from eoffice.demo import seed_demo
    from eoffice.interop.demo import prepare_demo_hub

    upgrade_database()
    with unit_of_work():
        seeded = seed_demo()
    prepare_demo_hub(app)
    if seeded:
        from eoffice.incoming.demo import seed_incoming_demo

        # an urgent directive on its way to TP Rạch Giá, and a paper document there
        with unit_of_work():
            seed_incoming_demo()
        print("Đã nạp dữ liệu mẫu tỉnh Kiên Giang. / Demo data loaded.", flush=True)
    # End this context's transaction: on SQLite an open one holds the write lock.
    db.session.remove()


# The demo polls often and lets the built-in VPCP peer answer.
DEMO_ENV = {"EOFFICE_HUB_DEMO_PEER": "1", "EOFFICE_HUB_POLL_SECONDS": "5",
            "EOFFICE_OUTBOX_FLUSH_SECONDS": "5"}


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "celery", "-A", "eoffice.worker:celery_app", *args]
    env = {**DEMO_ENV, **os.environ}
    return subprocess.Popen(argv, env=env)  # noqa: S603 (fixed argv, no shell)


def run_all(app: Flask, *, host: str = "127.0.0.1", with_worker: bool = True) -> None:
    """Serve until interrupted; children are always terminated."""
    from eoffice.hub import create_hub_app

    prepare(app)
    port = int(os.environ.get("PORT", "5000"))
    hub_app = create_hub_app({"HUB_DATABASE_URL": app.config["HUB_DATABASE_URL"],
                              "INSTANCE_PATH": app.instance_path})
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/hub": hub_app})  # type: ignore[method-assign]
    children: list[subprocess.Popen[Any]] = []
    if with_worker:
        schedule = os.path.join(app.instance_path, "celerybeat-schedule")
        children.append(_spawn(["worker", "--loglevel=INFO", "--pool=threads",
                                "--concurrency=4", "--without-heartbeat", "--without-gossip",
                                "--without-mingle"]))
        children.append(_spawn(["beat", "--loglevel=INFO", f"--schedule={schedule}"]))

    def stop(*_args: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    print(f"eoffice: http://{host}:{port}  (hub: http://{host}:{port}/hub)", flush=True)
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
