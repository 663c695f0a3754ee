"""Viewers online: each process publishes its own count under its slot, the staff screens add
the slots up; a process that stops publishing drops out by itself; the console and presenter
show the live counts, and only staff can read them."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from livechat import presence, services
from livechat.models import Dialogue
from moderation.models import RejectionReason
from tests.conftest import make_user
from tests.livechat.test_consumers import publish, submit, ws_open


@pytest.fixture(autouse=True)
def clean_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


# --- counting across processes -----------------------------------------------------------------


def test_counts_of_every_process_are_added_up(dialogue: Dialogue) -> None:
    first, second = presence._Slot(), presence._Slot()  # two server processes
    presence.count_write(first, dialogue.pk, 120)
    presence.count_write(second, dialogue.pk, 35)
    assert {first.index, second.index} == {0, 1}
    assert presence.viewers_online(dialogue.pk) == 155
    # Another dialogue's viewers are not counted here.
    presence.count_write(first, dialogue.pk + 1, 7)
    assert presence.viewers_online(dialogue.pk) == 155
    # A process whose last viewer left says so at once.
    presence.count_write(second, dialogue.pk, 0)
    assert presence.viewers_online(dialogue.pk) == 120


def test_a_process_that_stops_publishing_drops_out_after_the_ttl(
    dialogue: Dialogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence, "TTL_SECONDS", 1)
    gone, alive = presence._Slot(), presence._Slot()
    presence.count_write(gone, dialogue.pk, 50)
    presence.count_write(alive, dialogue.pk, 5)
    assert presence.viewers_online(dialogue.pk) == 55
    time.sleep(1.2)
    presence.count_write(alive, dialogue.pk, 5)  # the live process keeps refreshing
    assert presence.viewers_online(dialogue.pk) == 5


def test_a_slot_lost_while_stalled_is_not_shared_with_its_new_owner(dialogue: Dialogue) -> None:
    stalled = presence._Slot()
    presence.count_write(stalled, dialogue.pk, 3)
    assert stalled.index == 0
    # The stalled process's slot expired and another process took slot 0.
    cache.delete(presence._slot_key(0))
    newcomer = presence._Slot()
    presence.count_write(newcomer, dialogue.pk, 4)
    assert newcomer.index == 0
    presence.count_write(stalled, dialogue.pk, 3)
    assert stalled.index == 1  # it noticed and took a free slot instead
    assert presence.viewers_online(dialogue.pk) == 7


def test_an_unreadable_cache_gives_no_number_rather_than_a_wrong_one(
    dialogue: Dialogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(cache, "get_many", broken)
    assert presence.viewers_online(dialogue.pk) is None


# --- the hubs publish their sockets ------------------------------------------------------------


async def _wait_for(dialogue_id: int, expected: int) -> int | None:
    deadline = time.monotonic() + 5.0
    value = None
    while time.monotonic() < deadline:
        value = await asyncio.to_thread(presence.viewers_online, dialogue_id)
        if value == expected:
            return value
        await asyncio.sleep(0.1)
    return value


@pytest.mark.django_db(transaction=True)
async def test_public_sockets_are_counted_while_connected_and_not_after(
    dialogue: Dialogue, moderator: Any
) -> None:
    viewers = [(await ws_open(dialogue.slug))[0] for _ in range(3)]
    staff, _first = await ws_open(dialogue.slug, user=moderator)
    try:
        # Public viewers only: the moderator's console is not an audience member.
        assert await _wait_for(dialogue.pk, 3) == 3
        await viewers.pop().disconnect()
        assert await _wait_for(dialogue.pk, 2) == 2
    finally:
        for communicator in viewers:
            await communicator.disconnect()
        await staff.disconnect()
    # The last socket gone, the hub stops and removes its count at once.
    assert await _wait_for(dialogue.pk, 0) == 0


# --- the staff screens -------------------------------------------------------------------------


@pytest.fixture
def busy_dialogue(dialogue: Dialogue, moderator: Any, leader_user: Any) -> Dialogue:
    """Two pending, one published unanswered, one answered live, one awaiting a written
    answer, one rejected (counted nowhere)."""
    submit(dialogue, body="Câu hỏi chờ duyệt thứ nhất về đền bù đất ở.")
    submit(dialogue, body="Câu hỏi chờ duyệt thứ hai về tái định cư.")
    publish(dialogue, moderator, body="Câu hỏi đã đăng về tiến độ thi công.")
    answered = publish(dialogue, moderator, body="Câu hỏi đã được trả lời trực tiếp.")
    services.answer_post(actor=leader_user, question_id=answered.pk, body="Trả lời trực tiếp.")
    written = publish(dialogue, moderator, body="Câu hỏi sẽ trả lời bằng văn bản sau.")
    services.question_mark_written(actor=moderator, question_id=written.pk)
    rejected = submit(dialogue, body="Nội dung quảng cáo không liên quan.")
    services.question_reject(
        actor=moderator,
        question_id=rejected.pk,
        reason_id=RejectionReason.objects.filter(is_active=True).first().pk,
    )
    presence.count_write(presence._Slot(), dialogue.pk, 42)
    return dialogue


EXPECTED = {"pending": 2, "published": 3, "answered": 1, "awaiting_written": 1, "viewers": 42}


@pytest.mark.parametrize(
    ("who", "screen"),
    [("moderator", "moderate"), ("moderator", "present"), ("leader_user", "present")],
)
def test_staff_see_the_live_counts_on_their_screens(
    client: Client, busy_dialogue: Dialogue, request: Any, who: str, screen: str
) -> None:
    client.force_login(request.getfixturevalue(who))
    html = client.get(f"{busy_dialogue.get_absolute_url()}{screen}/").content.decode()
    for key, value in EXPECTED.items():
        assert f'<dd id="count-{key}">{value}</dd>' in html, key
    assert "Người xem trực tuyến" in html
    # Inside a region the console's script refreshes on every event.
    assert 'id="region-counts" data-live-region="counts"' in html
    assert "js/live_counts.js" in html


@pytest.mark.parametrize("who", ["moderator", "leader_user"])
def test_staff_can_read_the_live_counts_as_json(
    client: Client, busy_dialogue: Dialogue, request: Any, who: str
) -> None:
    client.force_login(request.getfixturevalue(who))
    response = client.get(f"{busy_dialogue.get_absolute_url()}counts/")
    assert response.status_code == 200
    assert response.json() == EXPECTED
    assert response["Cache-Control"] == "private, no-store"


def test_public_cannot_read_the_live_counts(client: Client, busy_dialogue: Dialogue) -> None:
    response = client.get(f"{busy_dialogue.get_absolute_url()}counts/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_agency_staff_cannot_read_the_live_counts(
    client: Client, busy_dialogue: Dialogue, agency: Any
) -> None:
    client.force_login(make_user("agency_staff", agency=agency))
    assert client.get(f"{busy_dialogue.get_absolute_url()}counts/").status_code == 403


def test_the_console_shows_a_dash_when_viewers_cannot_be_counted(
    client: Client, busy_dialogue: Dialogue, moderator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(presence, "viewers_online", lambda dialogue_id: None)
    client.force_login(moderator)
    html = client.get(f"{busy_dialogue.get_absolute_url()}moderate/").content.decode()
    assert '<dd id="count-viewers">—</dd>' in html
    assert '<dd id="count-pending">2</dd>' in html
