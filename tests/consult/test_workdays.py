"""Working days for legal deadlines: weekends and configured public holidays (e.g. Tết) skipped."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import override_settings

from consult.models import PublicHoliday
from consult.workdays import add_working_days, holidays_configured, is_working_day

# Tết Bính Ngọ 2026 as a province might configure it: Monday 16 – Friday 20 February 2026.
TET_2026 = [dt.date(2026, 2, d) for d in range(16, 21)]


def test_weekends_are_not_working_days():
    assert is_working_day(dt.date(2026, 2, 13), holidays=[])  # Friday
    assert not is_working_day(dt.date(2026, 2, 14), holidays=[])  # Saturday
    assert not is_working_day(dt.date(2026, 2, 15), holidays=[])  # Sunday


def test_start_day_is_not_counted():
    assert add_working_days(dt.date(2026, 2, 9), 1, holidays=[]) == dt.date(2026, 2, 10)


def test_friday_plus_one_is_monday():
    assert add_working_days(dt.date(2026, 2, 6), 1, holidays=[]) == dt.date(2026, 2, 9)


def test_fifteen_working_days_across_tet():
    start = dt.date(2026, 2, 12)  # Thursday before Tết
    # Without holidays: Fri 13, 16–20, 23–27, 2–5 Mar → 5 March.
    assert add_working_days(start, 15, holidays=[]) == dt.date(2026, 3, 5)
    # With Tết off, the whole week of 16–20 February moves the deadline by a week.
    assert add_working_days(start, 15, holidays=TET_2026) == dt.date(2026, 3, 12)


def test_zero_days_is_the_start_day():
    assert add_working_days(dt.date(2026, 2, 14), 0, holidays=[]) == dt.date(2026, 2, 14)


@pytest.mark.django_db
def test_holidays_come_from_settings():
    PublicHoliday.objects.all().delete()  # the setting alone (the seeded table is merged in)
    configured = {**settings.CONSULT, "PUBLIC_HOLIDAYS": [d.isoformat() for d in TET_2026]}
    with override_settings(CONSULT=configured):
        assert holidays_configured() == set(TET_2026)
        assert not is_working_day(dt.date(2026, 2, 17))
        assert add_working_days(dt.date(2026, 2, 12), 15) == dt.date(2026, 3, 12)
    with override_settings(CONSULT={**settings.CONSULT, "PUBLIC_HOLIDAYS": []}):
        assert is_working_day(dt.date(2026, 2, 17))
