"""Working-day arithmetic for legal deadlines: weekends and public holidays excluded.

Public holidays come from two places, merged: the `PublicHoliday` table (seeded with Vietnam's
holidays, kept by administrators in the admin) and `settings.CONSULT["PUBLIC_HOLIDAYS"]` (ISO
dates, for a province's own days or a deployment without the admin). They are read afresh on
every call — never cached across calls — so a holiday an administrator adds counts at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings


def holidays_from_settings() -> set[dt.date]:
    # settings.CONSULT mixes value types (dict[str, object] to mypy): this one is a list.
    configured: Any = settings.CONSULT.get("PUBLIC_HOLIDAYS", [])
    return {dt.date.fromisoformat(str(v)) for v in configured}


def holidays_from_database(
    start: dt.date | None = None, end: dt.date | None = None
) -> set[dt.date]:
    from consult.models import PublicHoliday  # the app registry is ready by the time we count

    days = PublicHoliday.objects.all()
    if start is not None:
        days = days.filter(date__gte=start)
    if end is not None:
        days = days.filter(date__lte=end)
    return set(days.values_list("date", flat=True))


def holidays_configured() -> set[dt.date]:
    """Every public holiday known now: the database's and the setting's."""
    return holidays_from_database() | holidays_from_settings()


def is_working_day(day: dt.date, holidays: Iterable[dt.date] | None = None) -> bool:
    if holidays is None:
        off = holidays_from_database(day, day) | holidays_from_settings()
    else:
        off = set(holidays)
    return day.weekday() < 5 and day not in off


def add_working_days(
    start: dt.date, days: int, holidays: Iterable[dt.date] | None = None
) -> dt.date:
    """The date `days` working days after `start` (the start day itself not counted).

    With `holidays` given, exactly those days are off (besides weekends); without, the
    configured ones (database and setting), read once for this call.
    """
    if holidays is not None:
        off = set(holidays)
    else:
        # Holidays never make a period longer than about twice its length plus a long Tết,
        # so read a generous window once instead of the whole table.
        window_end = start + dt.timedelta(days=2 * max(days, 0) + 60)
        off = holidays_from_database(start, window_end) | holidays_from_settings()
    current = start
    remaining = days
    while remaining > 0:
        current += dt.timedelta(days=1)
        if holidays is None and current > window_end:
            # Only reachable with an absurd number of holidays: read the next stretch.
            window_start, window_end = current, current + dt.timedelta(days=2 * remaining + 60)
            off |= holidays_from_database(window_start, window_end)
        if current.weekday() < 5 and current not in off:
            remaining -= 1
    return current
