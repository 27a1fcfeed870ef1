"""Local (Vietnam) dates: deadlines, registers' years, validity dates and report periods
are local dates; instants are stored in UTC (``core.db.utcnow``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from eoffice.core.db import utcnow

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def today(now: datetime | None = None) -> date:
    """The date in Vietnam (of ``now``, default the current instant)."""
    return (now or utcnow()).astimezone(VN).date()


def day_text(value: date | datetime | None, empty: str = "") -> str:
    """dd/mm/yyyy as Vietnamese papers write a date (an instant: its date in Vietnam);
    ``empty`` for none."""
    if value is None:
        return empty
    if isinstance(value, datetime):
        value = value.astimezone(VN).date()
    return value.strftime("%d/%m/%Y")


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants ``[start 00:00 VN, end + 1 day 00:00 VN)`` of a period of local
    dates, both ends included."""
    low = datetime.combine(start, time.min, VN).astimezone(UTC)
    high = datetime.combine(end + timedelta(days=1), time.min, VN).astimezone(UTC)
    return low, high
