"""eoffice's beat scheduler: entries on time without Celery's busy wait before each one."""

from __future__ import annotations

import time
from typing import Any

from eoffice.tasks import Scheduler


class _Counting(Scheduler):
    """Counts what it would send instead of sending it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry: Any, producer: Any = None, advance: bool = True,
                    **kwargs: Any) -> None:
        self.sent.append(entry.name)


def test_the_app_runs_beat_with_this_scheduler(app: Any) -> None:
    assert app.extensions["celery"].conf.beat_scheduler == "eoffice.tasks:Scheduler"


def test_entries_are_sent_without_spinning_between_them(app: Any, tmp_path: Any) -> None:
    celery = app.extensions["celery"]
    schedule = {name: {"task": "eoffice.core.ping", "schedule": 0.05, "args": ["x"]}
                for name in ("a", "b", "c")}
    scheduler = _Counting(app=celery, schedule_filename=str(tmp_path / "beat"), lazy=False)
    scheduler.update_from_dict(schedule)
    scheduler.merge_inplace(schedule)
    ticks = 0
    deadline = time.monotonic() + 0.6
    while time.monotonic() < deadline:  # what celery.beat.Service.start does
        interval = scheduler.tick()
        ticks += 1
        if interval and interval > 0:
            time.sleep(interval)
    scheduler.sync()
    scheduler.close()
    assert {"a", "b", "c"} <= set(scheduler.sent)
    # Celery's own scheduler wakes 10 ms early and then ticks without sleeping until the
    # entry is due: about a hundred ticks per entry sent at this rate. This one: one tick
    # to send an entry and about one to sleep until the next.
    assert ticks <= 3 * len(scheduler.sent) + 5, (ticks, len(scheduler.sent))
