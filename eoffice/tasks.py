"""Celery bound to the Flask app (Flask docs, "Background Tasks with Celery").

Every task runs inside an application context. The broker is the embedded SQLAlchemy
transport on SQLite by default and Redis in production (``CELERY_BROKER_URL``); only
JSON crosses the wire. Task modules are listed here explicitly.
"""

from __future__ import annotations

from typing import Any

from celery import Task
from celery.beat import PersistentScheduler
from flask import Flask

from eoffice.extensions import celery

TASK_MODULES = ["eoffice.core.tasks", "eoffice.incoming.tasks", "eoffice.interop.tasks",
                "eoffice.search.tasks"]


def celery_init_app(app: Flask) -> Any:
    """Configure the shared Celery app from ``app.config['CELERY']``."""

    class FlaskTask(Task):
        def __call__(self, *args: object, **kwargs: object) -> object:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery.Task = FlaskTask
    celery.config_from_object(app.config["CELERY"])
    celery.conf.update(include=TASK_MODULES, beat_schedule=app.config.get("BEAT_SCHEDULE", {}))
    celery.set_default()
    app.extensions["celery"] = celery
    return celery


class Scheduler(PersistentScheduler):
    """Celery beat's persistent scheduler, without its busy wait before each entry.

    Celery sleeps until 10 ms before the next entry is due, then ticks again and again
    without sleeping until it is: with entries every 0.2 s (as the hub benchmark polls)
    that loop ran ~1,400 ticks a second and took a tenth of a CPU. This scheduler sleeps
    until the entry is due, so it is sent at most a scheduler tick late (``beat_scheduler``
    in the configuration; the worker's embedded beat uses it too).
    """

    def adjust(self, n: float | None, drift: float = 0.0) -> float | None:
        return super().adjust(n, drift=drift)
