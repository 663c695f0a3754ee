"""A client that reconnects after missing events gets exactly the missed events, in order,
without duplicates; with random disconnects during 1,000 events, every client's final state
equals the database.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from livechat import events, services
from livechat.models import Dialogue, DialogueEvent
from tests.conftest import QUESTION_DEFAULTS
from tests.livechat.test_consumers import ws_open
from tests.reliability.conftest import session_cookie_header
from tests.reliability.live import Browser, LiveClient, public_state_api, state_of, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def _publish(dialogue: Dialogue, moderator: Any, n: int) -> list[int]:
    ids = []
    for k in range(n):
        question, _created = services.question_submit(
            dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "request_id": f"q-{k}"}
        )
        ids.append(services.question_approve(actor=moderator, question_id=question.pk).pk)
    return ids


def _log_frames(dialogue: Dialogue, audience: str, after: int) -> list[str]:
    """What the event log says this audience must receive after `after`, in order."""
    log = DialogueEvent.objects.filter(dialogue=dialogue).order_by("seq")
    if audience == "staff":
        return [events.staff_frame(e) for e in log if e.seq > after]
    frames = [events.public_frame(e) for e in log if e.public_seq and e.public_seq > after]
    return [f for f in frames if f is not None]


@pytest.mark.parametrize("audience", ["public", "staff"])
async def test_viewer_reconnecting_gets_exactly_the_missed_events_in_order(
    dialogue, moderator, audience
):
    user = moderator if audience == "staff" else None
    ids = await database_sync_to_async(_publish)(dialogue, moderator, 2)
    communicator, first = await ws_open(dialogue.slug, user=user)
    assert first is not None
    seen = first["seq"]
    await communicator.disconnect()

    def changes_while_away() -> None:
        for n in range(12):
            services.question_upvote(question_id=ids[n % 2], voter_token=f"away-{n}")
        question, _created = services.question_submit(
            dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "request_id": "away-q"}
        )
        services.question_approve(actor=moderator, question_id=question.pk)

    await database_sync_to_async(changes_while_away)()
    expected = await database_sync_to_async(_log_frames)(dialogue, audience, seen)
    assert len(expected) >= 13

    communicator, resumed = await ws_open(
        dialogue.slug, user=user, query=f"after={seen}&audience={audience}"
    )
    try:
        assert resumed == {"type": "resumed", "seq": seen, "role": audience}
        got = [await communicator.receive_from(timeout=5) for _ in expected]
        assert got == expected  # exactly the missed frames, byte for byte, in order
        assert await communicator.receive_nothing(timeout=0.3)  # and nothing twice
    finally:
        await communicator.disconnect()


async def test_viewer_too_far_behind_gets_a_fresh_snapshot(dialogue, moderator, settings):
    settings.CONSULT = {**settings.CONSULT, "REPLAY_LIMIT": 5}
    ids = await database_sync_to_async(_publish)(dialogue, moderator, 1)

    def many() -> None:
        for n in range(8):
            services.question_upvote(question_id=ids[0], voter_token=f"far-{n}")

    await database_sync_to_async(many)()
    communicator, first = await ws_open(dialogue.slug, query="after=1&audience=public")
    try:
        assert first is not None and first["type"] == "snapshot"
        assert first["questions"][0]["upvote_count"] == 8
    finally:
        await communicator.disconnect()


# --- 1,000 events, random disconnects, real sockets ------------------------------------------

EVENTS = 1000
VIEWERS = 5


@pytest.mark.slow
async def test_clients_disconnecting_at_random_during_1000_events_end_equal_to_the_database(
    asgi_server, dialogue, moderator
):
    ids = await database_sync_to_async(_publish)(dialogue, moderator, 10)
    server = await asyncio.to_thread(asgi_server)
    cookie = await database_sync_to_async(session_cookie_header)(moderator)
    clients = [
        LiveClient(server.ws_url, dialogue.slug, origin=server.url, name=f"viewer{n}")
        for n in range(VIEWERS)
    ]
    clients.append(
        LiveClient(server.ws_url, dialogue.slug, origin=server.url, cookie=cookie, name="staff")
    )
    for client in clients:
        await client.connect()
    start = await database_sync_to_async(
        lambda: Dialogue.objects.values_list("last_seq", flat=True).get(pk=dialogue.pk)
    )()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 150
    followers = [asyncio.create_task(c.follow(stop, deadline=deadline)) for c in clients]
    rng = random.Random(20261123)  # a fixed seed: a failure can be replayed

    async def chaos(client: LiveClient) -> None:
        """Drop this client's socket at random moments (it reconnects with ?after=)."""
        for _ in range(25):
            await asyncio.sleep(rng.uniform(0.1, 0.8))
            if stop.is_set() or produced.is_set():
                return
            if client.ws is not None:
                await client.ws.close()

    counter = itertools.count()

    def produce() -> None:
        """1,000 events through the server's API: supports from as many browsers, with a
        question submitted (a staff-only event) now and then. Two threads share the count."""
        while (n := next(counter)) < EVENTS:
            browser = Browser(server.url)
            if n % 25 == 0:
                reply = browser.request(
                    "POST",
                    f"/api/v1/dialogues/{dialogue.slug}/questions",
                    json_body={**QUESTION_DEFAULTS, "request_id": uuid.uuid4().hex},
                )
                assert reply.status == 201, reply.body[:200]
            else:
                browser.set_cookie("consult_voter", f"voter-{n}")
                reply = browser.request("POST", f"/api/v1/questions/{ids[n % 10]}/upvote")
                assert reply.status == 200, reply.body[:200]

    produced = asyncio.Event()
    chaos_tasks = [asyncio.create_task(chaos(c)) for c in clients]
    try:
        # SQLite (the embedded single-process default) refuses a second writer at once
        # ("database is locked") rather than queueing it: one producer there, two elsewhere.
        producers = 2 if connection.vendor == "postgresql" else 1
        await asyncio.gather(*(asyncio.to_thread(produce) for _ in range(producers)))
        produced.set()
        await asyncio.gather(*chaos_tasks)
        counters = await database_sync_to_async(
            lambda: Dialogue.objects.values("last_seq", "last_public_seq").get(pk=dialogue.pk)
        )()
        assert counters["last_seq"] - start >= EVENTS
        await wait_until(
            lambda: all(
                c.seq == counters["last_public_seq" if c.role == "public" else "last_seq"]
                for c in clients
            ),
            wait=60,
            what=f"every client reached the last event {counters}",
        )
    finally:
        stop.set()
        await asyncio.gather(*followers, *chaos_tasks, return_exceptions=True)
    truth = await asyncio.to_thread(public_state_api, server.url, dialogue.slug)
    staff_truth = await database_sync_to_async(
        lambda: state_of(
            {"id": q.pk, "upvote_count": q.upvote_count, "answers": []}
            for q in dialogue.questions.all()
        )
    )()
    for client in clients:
        assert client.gaps == 0 and client.duplicates == 0, client.name
        assert client.close_codes, client.name  # it was dropped, and came back
        assert client.resumes >= 1, client.name
        if client.role == "public":
            assert client.public_state() == truth, client.name
        else:
            assert state_of(client.questions.values()) == staff_truth
        # Between two snapshots, the applied events rose one by one.
        assert client.applied >= 1
