"""The board's statistics on a small known dataset: items per day, median time to decision,
decisions per moderator, reasons used."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from drafts import services as draft_services
from livechat import services as live_services
from livechat.models import Question
from moderation.inbox_views import duration_text
from moderation.models import Item, RejectionReason
from moderation.selectors import stats_build
from tests.conftest import QUESTION_DEFAULTS, make_user
from tests.drafts.conftest import COMMENT_INPUT, make_draft

_n = itertools.count(1)


def ask(dialogue: Any) -> Question:
    values = {**QUESTION_DEFAULTS, "email": f"s{next(_n)}@example.vn"}
    return live_services.question_submit(dialogue_id=dialogue.pk, **values)[0]


def times(kind: str, object_id: int, submitted: dt.datetime, minutes: int | None) -> None:
    Item.objects.filter(kind=kind, object_id=object_id).update(
        submitted_at=submitted,
        decided_at=submitted + dt.timedelta(minutes=minutes) if minutes is not None else None,
    )


@pytest.fixture
def dataset(dialogue, agency, moderator, moderator2) -> dict[str, Any]:
    """Four decisions taking 10, 30, 50 and 120 minutes (median 40), one item still pending
    from two days ago, one item older than the window."""
    draft = make_draft(agency)
    spam = RejectionReason.objects.get(code="spam")
    off_topic = RejectionReason.objects.get(code="ngoai-chu-de")
    q1, q2, q3, q4, q_old = (ask(dialogue) for _ in range(5))
    c1 = draft_services.comment_submit(draft_id=draft.pk, **COMMENT_INPUT)[0]
    live_services.question_approve(actor=moderator, question_id=q1.pk)
    live_services.question_reject(actor=moderator2, question_id=q2.pk, reason_id=spam.pk)
    draft_services.comment_reject(actor=moderator, comment_id=c1.pk, reason_id=off_topic.pk)
    live_services.question_merge(actor=moderator, target_id=q1.pk, source_ids=[q3.pk])
    live_services.question_tag(
        actor=moderator, question_id=q1.pk, topic="Giao thông"
    )  # no decision
    now = timezone.now()
    base = now - dt.timedelta(hours=3)
    times("question", q1.pk, base, 10)
    times("question", q2.pk, base, 30)
    times("comment", c1.pk, base, 50)
    times("question", q3.pk, base, 120)
    times("question", q4.pk, now - dt.timedelta(days=2), None)
    times("question", q_old.pk, now - dt.timedelta(days=40), 5)
    return {"base": base, "now": now, "spam": spam, "off_topic": off_topic}


def test_stats_count_items_per_day_over_the_window(dataset, moderator):
    stats = stats_build(viewer=moderator, days=30)
    assert len(stats["per_day"]) == 30 and stats["per_day"][0]["day"] == timezone.localdate()
    assert [k["kind"] for k in stats["kinds"]] == ["question", "comment"]
    by_day = {row["day"]: row for row in stats["per_day"]}
    base_day = timezone.localtime(dataset["base"]).date()
    two_days_ago = timezone.localtime(dataset["now"] - dt.timedelta(days=2)).date()
    assert by_day[base_day]["counts"] == [3, 1] and by_day[base_day]["total"] == 4
    assert by_day[base_day]["percent"] == 100
    assert by_day[two_days_ago]["counts"] == [1, 0] and by_day[two_days_ago]["percent"] == 25
    assert stats["submitted_total"] == 5  # the 40-day-old question is outside the window


def test_stats_median_time_to_decision(dataset, moderator):
    stats = stats_build(viewer=moderator, days=30)
    assert stats["decided_count"] == 4
    assert stats["median_to_decision"] == dt.timedelta(minutes=40)
    by_kind = {row["kind"]: row for row in stats["median_by_kind"]}
    assert by_kind["question"]["median"] == dt.timedelta(minutes=30)
    assert by_kind["comment"]["median"] == dt.timedelta(minutes=50)


def test_stats_decisions_per_moderator_and_reasons_used(dataset, moderator, moderator2):
    stats = stats_build(viewer=moderator, days=30)
    assert stats["moderators"] == [
        {"name": "Lê Biên Tập", "approve": 1, "reject": 1, "merge": 1, "total": 3},
        {"name": "Phạm Biên Tập", "approve": 0, "reject": 1, "merge": 0, "total": 1},
    ]
    assert [(r["title"], r["count"]) for r in stats["reasons"]] == sorted(
        [(dataset["spam"].title, 1), (dataset["off_topic"].title, 1)]
    )


def test_stats_page_shows_the_figures(client, dataset, moderator):
    client.force_login(moderator)
    page = client.get("/moderation/stats/?days=7").content.decode()
    assert "40 phút" in page and "Lê Biên Tập" in page and dataset["spam"].title in page
    assert page.count('<tr><th scope="row"><time') == 7
    assert 'class="bar bar-w-100"' in page and "style=" not in page.split("<main")[1]


def test_stats_of_an_empty_board(client, moderator):
    client.force_login(moderator)
    page = client.get("/moderation/stats/?days=nonsense").content.decode()
    assert "chưa có" in page and "Chưa có quyết định nào" in page
    assert page.count('<tr><th scope="row"><time') == 30


@pytest.mark.parametrize("role", ["agency_staff", "leader"])
def test_non_moderator_cannot_see_statistics(agency, role):
    from consult.errors import NotAllowed

    with pytest.raises(NotAllowed):
        stats_build(viewer=make_user(role, agency=agency))


def test_durations_read_naturally():
    assert duration_text(dt.timedelta(seconds=20)) == "dưới 1 phút"
    assert duration_text(dt.timedelta(minutes=125)) == "2 giờ 5 phút"
    assert duration_text(dt.timedelta(days=3, hours=4, minutes=9)) == "3 ngày 4 giờ"
