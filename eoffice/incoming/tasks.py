"""Thin Celery tasks over ``incoming.service`` (JSON arguments, idempotent)."""

from __future__ import annotations

from celery import shared_task

from eoffice.core.uow import unit_of_work
from eoffice.incoming import service


@shared_task(name="eoffice.incoming.remind_deadlines")
def remind_deadlines() -> dict[str, int]:
    """Deadline reminders and overdue escalations (beat; each sent once)."""
    with unit_of_work():
        return service.remind_deadlines()
