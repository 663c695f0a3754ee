"""Working-day arithmetic for legal deadlines: weekends and configured public holidays excluded."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings


def holidays_configured() -> set[dt.date]:
    days: set[dt.date] = set()
    for value in settings.CONSULT.get("PUBLIC_HOLIDAYS", []):
        days.add(dt.date.fromisoformat(str(value)))
    return days


def is_working_day(day: dt.date, holidays: Iterable[dt.date] | None = None) -> bool:
    off = set(holidays) if holidays is not None else holidays_configured()
    return day.weekday() < 5 and day not in off


def add_working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] | None = None
) -> dt.date:
    """The date `days` working days after `start` (the start day itself not counted)."""
    off = set(holidays) if holidays is not None else holidays_configured()
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if is_working_day(current, off):
            remaining -= 1
    return current
