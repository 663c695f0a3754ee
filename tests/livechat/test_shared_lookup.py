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
