"""Dates and times: always Asia/Ho_Chi_Minh, in the Vietnamese style by default and in an English
style on English pages; the dialogue and draft pages share the filters (consult_tags)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from consult.templatetags.consult_tags import (
    iso,
    vn_date,
    vn_datetime,
    vn_day,
    vn_time,
    vn_timestamp,
)

# 07:00 UTC is 14:00 in Hồ Chí Minh City (UTC+7, no daylight saving).
MOMENT = dt.datetime(2026, 11, 26, 7, 0, tzinfo=dt.UTC)


def test_vietnamese_style_in_vietnam_time():
    with translation.override("vi"):
        assert vn_datetime(MOMENT) == "14:00, thứ Năm, 26/11/2026"
        assert vn_date(MOMENT) == "thứ Năm, 26/11/2026"
        assert vn_time(MOMENT) == "14:00, 26/11/2026"
        assert vn_day(MOMENT) == "26/11/2026"
        assert vn_timestamp(MOMENT + dt.timedelta(seconds=9)) == "14:00:09, 26/11/2026"
    assert iso(MOMENT) == "2026-11-26T14:00:00+07:00"


@pytest.mark.skipif(not translation.trans_real.all_locale_paths(), reason="no locale directory")
def test_english_style_in_vietnam_time():
    with translation.override("en"):
        assert vn_datetime(MOMENT) == "Thursday 26 November 2026, 14:00"
        assert vn_date(dt.date(2026, 11, 26)) == "Thursday 26 November 2026"
        # The short stamp is the same in both languages (live.js writes new items that way).
        assert vn_time(MOMENT) == "14:00, 26/11/2026"


def test_late_evening_utc_is_the_next_day_in_vietnam():
    late = dt.datetime(2026, 12, 31, 18, 30, tzinfo=dt.UTC)
    with translation.override("vi"):
        assert vn_datetime(late) == "01:30, thứ Sáu, 01/01/2027"


def test_missing_or_bad_values_show_nothing():
    for value in (None, "", "không phải ngày", 42):
        assert vn_datetime(value) == vn_date(value) == vn_time(value) == vn_day(value) == ""
        assert vn_timestamp(value) == ""


@pytest.mark.django_db
def test_draft_page_shows_the_period_in_the_vietnamese_style(client, agency):
    from tests.drafts.conftest import make_draft

    draft = make_draft(
        agency,
        opens_at=dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC),
        closes_at=dt.datetime(2099, 12, 1, 10, 0, tzinfo=dt.UTC),
    )
    body = client.get(draft.get_absolute_url()).content.decode()
    assert "08:00, thứ Hai, 02/11/2026" in body
    assert '<time datetime="2099-12-01T17:00:00+07:00">17:00, thứ Ba, 01/12/2099</time>' in body
    with translation.override("vi"):  # the test client's request must not leave English on
        english = client.get(draft.get_absolute_url() + "?lang=en").content.decode()
    assert "Monday 2 November 2026, 08:00" in english
