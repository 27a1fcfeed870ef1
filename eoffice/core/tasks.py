"""Infrastructure tasks."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import text

from eoffice.extensions import db


@shared_task(name="eoffice.core.ping", ignore_result=False)
def ping(token: str) -> dict[str, str]:
    """Prove a worker runs inside the app: answer with the database it reached."""
    db.session.execute(text("SELECT 1"))
    return {"token": token, "database": db.engine.dialect.name}
