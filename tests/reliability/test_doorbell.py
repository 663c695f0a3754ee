"""The doorbell after a commit never holds up the request that made the change, whatever the
channel layer does: a `group_send` that never returns (Redis hung: the hosts are configured
with `socket_timeout: None` so idle blocking reads survive) or that fails at once (Redis
stopped). The change is committed and acknowledged either way; the hub repairs delivery from
the event log (tests/reliability/test_outage.py proves that end to end).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from channels.db import database_sync_to_async

from consult import broadcast
from livechat import events, services
from livechat.models import Question
from tests.conftest import QUESTION_DEFAULTS

pytestmark = pytest.mark.django_db(transaction=True)


class HungLayer:
    """A channel layer whose sends never finish, like channels-redis on a hung Redis."""

    def __init__(self) -> None:
        self.calls = 0

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.calls += 1
        await asyncio.Event().wait()


class StoppedLayer:
    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broadcast, "SEND_TIMEOUT", 0.3)


async def test_citizen_question_is_acknowledged_at_once_while_the_layer_hangs(
    dialogue, short_timeout, monkeypatch, caplog
):
    # In a server, services run in a worker thread of the server's loop (as here through
    # database_sync_to_async): the send goes to that loop and the request does not wait.
    layer = HungLayer()
    monkeypatch.setattr(events, "get_channel_layer", lambda: layer)
    submit = database_sync_to_async(services.question_submit)
    # The first call of a process pays one-time costs (imports, compiled flag terms).
    await submit(dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "request_id": "warm-up"})
    started = time.monotonic()
    question, created = await submit(
        dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "request_id": "hung-1"}
    )
    assert created and time.monotonic() - started < 1.0
    assert await database_sync_to_async(Question.objects.filter(pk=question.pk).exists)()
    await asyncio.sleep(0.05)
    assert layer.calls == 2  # each doorbell was tried, on the server's loop
    # ...and gives up after the bound instead of holding a task for ever.
    await asyncio.sleep(broadcast.SEND_TIMEOUT + 0.3)
    assert "failed" in caplog.text


def test_doorbell_outside_a_server_waits_at_most_the_bound(dialogue, short_timeout, monkeypatch):
    # A management command or a script has no server loop: the send runs there and then,
    # bounded by SEND_TIMEOUT.
    monkeypatch.setattr(events, "get_channel_layer", HungLayer)
    started = time.monotonic()
    services.question_submit(dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "request_id": "s"})
    assert time.monotonic() - started < broadcast.SEND_TIMEOUT + 1.0


def test_doorbell_failing_at_once_is_logged_and_the_change_stays(dialogue, monkeypatch, caplog):
    monkeypatch.setattr(events, "get_channel_layer", StoppedLayer)
    question, created = services.question_submit(
        dialogue_id=dialogue.pk, **{**QUESTION_DEFAULTS, "request_id": "stopped-1"}
    )
    assert created and Question.objects.filter(pk=question.pk).exists()
    assert "doorbell for dialogue" in caplog.text and "failed" in caplog.text
