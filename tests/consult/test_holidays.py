"""Public holidays kept in the database (seeded with Vietnam's, edited by administrators) count
in working-day deadlines together with the settings list."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client, override_settings

from consult.models import PublicHoliday
from consult.workdays import add_working_days, holidays_configured, is_working_day
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

NO_SETTING_HOLIDAYS = {**settings.CONSULT, "PUBLIC_HOLIDAYS": []}


def _seeded() -> set[dt.date]:
    days = set(PublicHoliday.objects.values_list("date", flat=True))
    if not days:
        pytest.skip("seeded holidays flushed by an earlier transactional test")
    return days


def test_seeded_list_has_the_official_days_of_2026_and_2027():
    days = _seeded()
    for day in (
        dt.date(2026, 1, 1),  # Tết Dương lịch
        dt.date(2026, 2, 17),  # mùng 1 Tết Bính Ngọ
        dt.date(2026, 4, 26),  # Giỗ Tổ Hùng Vương, 10/3 âm lịch
        dt.date(2026, 4, 30),
        dt.date(2026, 5, 1),
        dt.date(2026, 9, 2),
        dt.date(2027, 1, 1),
        dt.date(2027, 2, 6),  # mùng 1 Tết Đinh Mùi
        dt.date(2027, 4, 16),
        dt.date(2027, 9, 2),
    ):
        assert day in days, day
    # Tết 2026 as announced for civil servants: Saturday 14 – Sunday 22 February.
    tet = {d for d in days if d.year == 2026 and d.month == 2}
    assert tet == {dt.date(2026, 2, n) for n in range(14, 23)}
    assert PublicHoliday.objects.get(date=dt.date(2026, 2, 17)).name == "Tết Nguyên đán"


@override_settings(CONSULT=NO_SETTING_HOLIDAYS)
def test_fifteen_working_days_from_before_tet_land_after_it():
    _seeded()
    start = dt.date(2026, 2, 12)  # Thursday before Tết
    # Weekends only: Fri 13, 16–20, 23–27 Feb, 2–5 Mar → 5 March. Tết's five weekdays
    # (16–20 Feb) come from the database and push the deadline a week later.
    assert add_working_days(start, 15, holidays=[]) == dt.date(2026, 3, 5)
    assert add_working_days(start, 15) == dt.date(2026, 3, 12)
    assert not is_working_day(dt.date(2026, 2, 18))
    assert is_working_day(dt.date(2026, 2, 23))


@override_settings(CONSULT=NO_SETTING_HOLIDAYS)
def test_a_holiday_added_by_an_administrator_counts_at_once():
    PublicHoliday.objects.filter(date__year=2031).delete()
    start = dt.date(2031, 3, 6)  # a Thursday with no seeded holiday nearby
    assert add_working_days(start, 1) == dt.date(2031, 3, 7)
    PublicHoliday.objects.create(date=dt.date(2031, 3, 7), name="Ngày nghỉ của tỉnh")
    assert add_working_days(start, 1) == dt.date(2031, 3, 10)  # no stale cache
    assert not is_working_day(dt.date(2031, 3, 7))


def test_database_and_settings_holidays_are_merged():
    PublicHoliday.objects.create(date=dt.date(2031, 6, 2), name="Ngày nghỉ của tỉnh")
    configured = {**settings.CONSULT, "PUBLIC_HOLIDAYS": ["2031-06-03"]}
    with override_settings(CONSULT=configured):
        merged = holidays_configured()
        assert {dt.date(2031, 6, 2), dt.date(2031, 6, 3)} <= merged
        # Mon 2 and Tue 3 June off: one working day after Friday 30 May is Wednesday 4 June.
        assert add_working_days(dt.date(2031, 5, 30), 1) == dt.date(2031, 6, 4)


def test_an_explicit_list_ignores_the_database():
    PublicHoliday.objects.create(date=dt.date(2031, 6, 2), name="Ngày nghỉ của tỉnh")
    assert add_working_days(dt.date(2031, 5, 30), 1, holidays=[]) == dt.date(2031, 6, 2)


def test_a_long_run_of_holidays_beyond_the_first_window_still_counts():
    PublicHoliday.objects.bulk_create(
        PublicHoliday(date=dt.date(2032, 1, 1) + dt.timedelta(days=n), name="Dài")
        for n in range(0, 200)
    )
    with override_settings(CONSULT=NO_SETTING_HOLIDAYS):
        # 1 Jan 2032 + 200 days = 19 July 2032 is the first day not off (a Monday).
        assert add_working_days(dt.date(2031, 12, 31), 1) == dt.date(2032, 7, 19)


def test_administrator_can_add_a_holiday_in_the_admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        "/admin/consult/publicholiday/add/",
        {"date": "2031-11-24", "name": "Ngày Văn hóa Việt Nam"},
    )
    assert response.status_code == 302
    assert PublicHoliday.objects.get(date=dt.date(2031, 11, 24)).name == "Ngày Văn hóa Việt Nam"


def test_moderator_cannot_edit_holidays_in_the_admin():
    moderator = make_user("moderator", is_staff=True)
    client = Client()
    client.force_login(moderator)
    response = client.post(
        "/admin/consult/publicholiday/add/", {"date": "2031-11-24", "name": "Tự đặt"}
    )
    assert response.status_code == 403
    assert not PublicHoliday.objects.filter(date=dt.date(2031, 11, 24)).exists()
