"""Public sockets opening at the same moment share one lookup of their dialogue per process
(livechat/consumers.py, docs/performance.md): a dialogue starting or a reconnect storm must
not cost one database round trip, and under daphne one database connection, per socket."""

from __future__ import annotations

import asyncio
import time

import pytest

from livechat import consumers, selectors
from livechat.models import Dialogue
from livechat.protocol import CLOSE_NOT_FOUND
from tests.livechat.test_consumers import ws_open

pytestmark = pytest.mark.django_db(transaction=True)


def _counting_lookup(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = selectors.dialogue_get

    def slow_lookup(*, slug: str, viewer: object) -> Dialogue:
        calls.append(slug)
        time.sleep(0.2)  # long enough for every socket below to arrive while it runs
        return real(slug=slug, viewer=viewer)

    monkeypatch.setattr(selectors, "dialogue_get", slow_lookup)
    return calls


async def test_public_sockets_opening_together_share_one_dialogue_lookup(dialogue, monkeypatch):
    calls = _counting_lookup(monkeypatch)
    opened = await asyncio.gather(*(ws_open(dialogue.slug) for _ in range(8)))
    try:
        assert [first["type"] for _c, first in opened] == ["snapshot"] * 8
        assert len(calls) < 8
        # Nothing is kept once the lookup has landed: the next socket reads afresh.
        assert consumers._lookups.get(asyncio.get_running_loop(), {}) == {}
    finally:
        for communicator, _first in opened:
            await communicator.disconnect()


async def test_public_cannot_connect_to_a_draft_dialogue_even_together(chair, monkeypatch):
    from channels.db import database_sync_to_async

    from tests.conftest import make_dialogue

    draft = await database_sync_to_async(make_dialogue)(chair, status=Dialogue.Status.DRAFT)
    _counting_lookup(monkeypatch)
    from channels.testing import WebsocketCommunicator

    from asgi import application

    communicators = [
        WebsocketCommunicator(
            application, f"/ws/dialogues/{draft.slug}/", headers=[(b"origin", b"http://testserver")]
        )
        for _ in range(4)
    ]
    results = await asyncio.gather(*(c.connect(timeout=5) for c in communicators))
    assert [connected for connected, _code in results] == [False] * 4
    assert {code for _connected, code in results} == {CLOSE_NOT_FOUND}


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    calls: list[object] = []
    real = getattr(selectors, name)

    def slow(**kwargs: object) -> object:
        calls.append(kwargs)
        time.sleep(0.2)
        return real(**kwargs)

    monkeypatch.setattr(selectors, name, slow)
    return calls


async def test_public_sockets_resuming_together_share_one_read_and_miss_nothing(
    dialogue, moderator, monkeypatch
):
    from channels.db import database_sync_to_async

    from tests.livechat.test_consumers import event_next, publish

    first, snapshot = await ws_open(dialogue.slug)
    await first.disconnect()
    after = snapshot["seq"]
    q1 = await database_sync_to_async(publish)(dialogue, moderator)
    q2 = await database_sync_to_async(publish)(dialogue, moderator)
    calls = _counting(monkeypatch, "event_list_after")
    opened = await asyncio.gather(
        *(ws_open(dialogue.slug, query=f"after={after}&audience=public") for _ in range(6))
    )
    try:
        assert [f["type"] for _c, f in opened] == ["resumed"] * 6
        assert len(calls) < 6
        for communicator, _f in opened:
            got = [await event_next(communicator) for _ in range(2)]
            assert [g["seq"] for g in got] == [after + 1, after + 2]
            assert [g["data"]["question"]["id"] for g in got] == [q1.pk, q2.pk]
        # Committed after the shared read: every socket still gets it, once, in order.
        q3 = await database_sync_to_async(publish)(dialogue, moderator)
        for communicator, _f in opened:
            frame = await event_next(communicator)
            assert (frame["seq"], frame["data"]["question"]["id"]) == (after + 3, q3.pk)
    finally:
        for communicator, _f in opened:
            await communicator.disconnect()


async def test_first_public_sockets_of_a_process_share_one_snapshot(dialogue, monkeypatch):
    calls = _counting(monkeypatch, "snapshot_build")
    opened = await asyncio.gather(*(ws_open(dialogue.slug) for _ in range(6)))
    try:
        assert {f["seq"] for _c, f in opened} == {opened[0][1]["seq"]}
        assert len(calls) < 6
    finally:
        for communicator, _f in opened:
            await communicator.disconnect()
