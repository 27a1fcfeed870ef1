"""Celery app for bench/hub_bench.py: eoffice's worker on its own queue (``BENCH_QUEUE``).

Both installations of the benchmark then share one Redis database without taking each
other's tasks.
"""

import os

from eoffice.worker import celery_app

celery_app.conf.task_default_queue = os.environ.get("BENCH_QUEUE", "celery")

__all__ = ["celery_app"]
