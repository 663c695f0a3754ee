"""Fan-out of one dialogue's events to many sockets of one process.

One channel-layer group member per process and dialogue (the hub), no channel per viewer;
more sockets than redis-py's default pool of 100, idle past redis-py 8's 5 s socket timeout;
a lost doorbell repaired from the database; a client that stops reading delays nobody.
Runs on the in-memory layer by default and on real Redis when REDIS_URL is set.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import OperationalError

from livechat import consumers, events, fanout, services
from livechat.fanout import DialogueHub, hub_registry
from livechat.protocol import CLOSE_SERVER_ERROR, CLOSE_TOO_SLOW
from tests.conftest import QUESTION_DEFAULTS
from tests.livechat.test_consumers import (  # shared socket helpers
    clean_layer,  # noqa: F401  -- autouse: no hub left behind, empty layer after each test
    event_next,
    publish,
    submit,
    ws_open,
)

pytestmark = pytest.mark.django_db(transaction=True)

MANY = 160  # more than redis-py's default pool of 100 connections


async def group_member_count(dialogue_id: int) -> int:
    """How many channels the channel layer holds in the dialogue's group."""
    layer = get_channel_layer()
    group = events.group_name(dialogue_id)
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return len(layer.groups.get(group, {}))
    key = layer._group_key(group)  # channels-redis: a sorted set per group
    connection = layer.connection(layer.consistent_hash(group))
    return await connection.zcard(key)


async def open_many(slug: str, count: int) -> list[Any]:
    opened = await asyncio.gather(*(ws_open(slug) for _ in range(count)))
    return list(opened)


async def close_all(sockets: list[Any]) -> None:
    await asyncio.gather(*(communicator.disconnect() for communicator, _ in sockets))


def the_hub(dialogue_id: int) -> DialogueHub:
    hubs = hub_registry().hubs
    assert list(hubs) == [dialogue_id], "one hub per dialogue in this process"
    return hubs[dialogue_id]


@pytest.mark.slow
async def test_many_public_sockets_idle_past_5s_all_get_the_next_event(dialogue, moderator):
    question = await database_sync_to_async(submit)(dialogue)
    sockets = await open_many(dialogue.slug, MANY)
    try:
        assert {first["seq"] for _, first in sockets} == {0}
        hub = the_hub(dialogue.pk)
        assert len(hub) == MANY
        # The channel layer sees one member for the whole process, not one per viewer.
        assert await group_member_count(dialogue.pk) == 1
        for subscriber in hub.subscribers["public"]:
            assert subscriber.channel_layer is None
            assert not hasattr(subscriber, "channel_name")

        await asyncio.sleep(5.5)  # past redis-py 8's default socket_timeout of 5 s

        started = time.monotonic()
        await database_sync_to_async(services.question_approve)(
            actor=moderator, question_id=question.pk
        )
        frames = await asyncio.gather(*(event_next(c) for c, _ in sockets))
        assert time.monotonic() - started < 5
        assert {(f["seq"], f["event"], f["data"]["question"]["id"]) for f in frames} == {
            (1, events.QUESTION_PUBLISHED, question.pk)
        }
    finally:
        await close_all(sockets)
    assert await group_member_count(dialogue.pk) == 0


async def test_a_hub_whose_first_group_join_failed_joins_soon_and_hears_doorbells(
    dialogue, moderator, monkeypatch
):
    """A join that fails as the hub starts (a Redis hiccup) is retried within seconds: the
    receive loop does not notice it (reading the hub's own channel goes on working), and the
    hub used to stay out of the group, hearing no doorbell, until the hourly re-join."""
    layer = get_channel_layer()
    group_add = layer.group_add
    refused: list[str] = []

    async def group_add_failing_once(group: str, channel: str) -> None:
        if not refused:
            refused.append(group)
            raise ConnectionError("Connection closed by server.")  # as redis-py says it
        await group_add(group, channel)

    monkeypatch.setattr(layer, "group_add", group_add_failing_once)
    viewer, snapshot = await ws_open(dialogue.slug)
    try:
        hub = the_hub(dialogue.pk)
        assert refused == [events.group_name(dialogue.pk)]
        members = 0
        for _ in range(100):
            members = await group_member_count(dialogue.pk)
            if members:
                break
            await asyncio.sleep(0.05)
        assert members == 1, "the hub did not join its group after the failed join"
        # From now on only a doorbell can bring the event in time: the hub's own reads of the
        # log are pushed out of the way.
        monkeypatch.setattr(fanout, "POLL_SECONDS", 3600.0)
        for _ in range(100):
            if hub.layer_ok:
                break
            await asyncio.sleep(0.05)
        assert hub.layer_ok
        question = await database_sync_to_async(publish)(dialogue, moderator)
        frame = await event_next(viewer, wait=3)
        assert (frame["seq"], frame["data"]["question"]["id"]) == (snapshot["seq"] + 1, question.pk)
    finally:
        await viewer.disconnect()


async def test_a_hub_that_fails_to_start_leaves_no_group_member_behind(dialogue, monkeypatch):
    def database_down(dialogue_id: int) -> dict[str, int]:
        raise OperationalError("the database is unreachable")

    monkeypatch.setattr(fanout, "_counters_get", database_down)
    viewer, _ = await ws_open(dialogue.slug, expect_first=False)
    try:
        closing = await viewer.receive_output(timeout=5)
        assert closing == {"type": "websocket.close", "code": CLOSE_SERVER_ERROR}
        assert hub_registry().hubs == {}
        assert await group_member_count(dialogue.pk) == 0
    finally:
        await viewer.disconnect()


async def test_a_lost_doorbell_is_filled_from_the_database_in_order(
    dialogue, moderator, monkeypatch
):
    sockets = await open_many(dialogue.slug, 30)
    staff, staff_snapshot = await ws_open(dialogue.slug, user=moderator)
    try:
        ring = events.doorbell_ring
        # The first approval commits but its doorbell never rings (a Redis hiccup).
        monkeypatch.setattr(events, "doorbell_ring", lambda event: None)
        lost = await database_sync_to_async(publish)(dialogue, moderator)
        monkeypatch.setattr(events, "doorbell_ring", ring)
        for communicator, _ in sockets:
            assert await communicator.receive_nothing(timeout=0.01)
        # The next one rings: every socket gets both, in order, once.
        rung = await database_sync_to_async(publish)(dialogue, moderator)
        for communicator, _ in sockets:
            first, second = await event_next(communicator), await event_next(communicator)
            assert [(first["seq"], first["data"]["question"]["id"])] == [(1, lost.pk)]
            assert [(second["seq"], second["data"]["question"]["id"])] == [(2, rung.pk)]
            assert await communicator.receive_nothing(timeout=0.01)
        # Staff too, on their own sequence: submitted, published (lost), submitted, published.
        staff_frames = [await event_next(staff) for _ in range(4)]
        assert [f["seq"] for f in staff_frames] == [staff_snapshot["seq"] + i for i in (1, 2, 3, 4)]
        assert [f["event"] for f in staff_frames] == [
            events.QUESTION_SUBMITTED,
            events.QUESTION_PUBLISHED,
            events.QUESTION_SUBMITTED,
            events.QUESTION_PUBLISHED,
        ]
    finally:
        await close_all([*sockets, (staff, None)])


async def test_a_late_doorbell_is_not_delivered_twice(dialogue, moderator):
    sockets = await open_many(dialogue.slug, 5)
    try:
        await database_sync_to_async(publish)(dialogue, moderator)
        for communicator, _ in sockets:
            assert (await event_next(communicator))["seq"] == 1
        # The same doorbell arriving again (a retry, a slow shard) changes nothing.
        event = await database_sync_to_async(lambda: dialogue.events.get(public_seq=1))()
        await the_hub(dialogue.pk).message_deliver(
            {
                "type": events.DOORBELL,
                "seq": event.seq,
                "public_seq": event.public_seq,
                "staff": events.staff_frame(event),
                "public": events.public_frame(event),
            }
        )
        for communicator, _ in sockets:
            assert await communicator.receive_nothing(timeout=0.01)
    finally:
        await close_all(sockets)


async def test_one_doorbell_for_a_batch_delivers_each_event_in_order(dialogue, moderator):
    # Questions committed together (livechat.intake) ring once with all their frames.
    staff, snapshot = await ws_open(dialogue.slug, user=moderator)
    viewers = await open_many(dialogue.slug, 3)
    try:
        submissions = [
            services.QuestionSubmission(
                fields=services.question_fields_clean(
                    **{**QUESTION_DEFAULTS, "body": f"Câu hỏi gộp số {i} về thủy lợi nội đồng?"}
                ),
                dialogue_id=dialogue.pk,
            )
            for i in range(4)
        ]
        outcomes = await database_sync_to_async(services.questions_submit)(submissions)
        frames = [await event_next(staff) for _ in range(4)]
        assert [f["seq"] for f in frames] == [snapshot["seq"] + i for i in (1, 2, 3, 4)]
        assert [f["data"]["question"]["id"] for f in frames] == [q.pk for q, _c in outcomes]
        assert await staff.receive_nothing(timeout=0.05)
        for communicator, _ in viewers:  # nothing public before a moderator approves
            assert await communicator.receive_nothing(timeout=0.01)
    finally:
        await close_all([*viewers, (staff, None)])


async def test_a_client_that_stops_reading_delays_no_one(dialogue, moderator, monkeypatch):
    monkeypatch.setattr(consumers, "MAX_BACKLOG", 3)
    # A tag in each socket's query string tells which communicator a consumer serves.
    sockets = list(
        await asyncio.gather(*(ws_open(dialogue.slug, query=f"tag={i}") for i in range(20)))
    )
    try:
        hub = the_hub(dialogue.pk)
        slow = next(iter(hub.subscribers["public"]))
        slow_communicator = sockets[int(slow.scope["query_string"].decode().split("=")[1])][0]
        others = [c for c, _ in sockets if c is not slow_communicator]
        gate = asyncio.Event()
        send = slow.base_send

        async def stuck_send(message: dict[str, Any]) -> None:
            await gate.wait()  # the client's TCP window is full: the server waits to write
            await send(message)

        slow.base_send = stuck_send

        for n in range(1, 6):
            started = time.monotonic()
            await database_sync_to_async(publish)(dialogue, moderator)
            frames = await asyncio.gather(*(event_next(c) for c in others[:5]))
            assert {f["seq"] for f in frames} == {n}
            assert time.monotonic() - started < 2
        # Every other socket got all five; the slow one holds one frame in flight and, past
        # its backlog limit, is closed so that its client resumes with ?after=.
        assert slow.closed
        for communicator in others[5:]:
            assert [(await event_next(communicator))["seq"] for _ in range(5)] == [1, 2, 3, 4, 5]
        gate.set()
        assert (await slow_communicator.receive_json_from(timeout=5))["seq"] == 1
        closing = await slow_communicator.receive_output(timeout=5)
        assert closing == {"type": "websocket.close", "code": CLOSE_TOO_SLOW}
    finally:
        await close_all(sockets)


class _Viewer:
    audience = "public"

    def frame_deliver(self, seq: int, message: dict[str, Any]) -> None:
        pass


async def test_a_hub_stopping_holds_up_no_socket_opening(monkeypatch):
    # Stopping a hub waits on Redis (leaving the group, clearing the viewer count). Sockets
    # opening meanwhile, of any dialogue, must not wait for it (in a reconnect churn they timed
    # out behind the registry lock).
    stopping, release = asyncio.Event(), asyncio.Event()
    started: list[int] = []

    async def start(self: DialogueHub) -> None:
        started.append(self.dialogue_id)

    async def stop(self: DialogueHub) -> None:
        stopping.set()
        await release.wait()

    monkeypatch.setattr(DialogueHub, "start", start)
    monkeypatch.setattr(DialogueHub, "stop", stop)
    registry = fanout.HubRegistry()
    leaving, other, same = _Viewer(), _Viewer(), _Viewer()
    first = await registry.subscribe(1, leaving)
    unsubscribing = asyncio.ensure_future(registry.unsubscribe(1, leaving))
    try:
        await asyncio.wait_for(stopping.wait(), 5)
        # Another dialogue, and the same dialogue, get their hubs while the old one stops.
        assert (await asyncio.wait_for(registry.subscribe(2, other), 1)).dialogue_id == 2
        renewed = await asyncio.wait_for(registry.subscribe(1, same), 1)
        assert renewed is not first and same in renewed.subscribers["public"]
        assert started == [1, 2, 1]
        assert not unsubscribing.done()
    finally:
        release.set()
        await unsubscribing
    assert registry.hubs[1] is renewed
