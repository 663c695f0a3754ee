"""Faults in the middle of a live dialogue, against real daphne processes and a Redis of the
test's own (never the shared one): Redis stopped (killed) and restarted on the same port,
Redis hung (SIGSTOP), a daphne process killed with SIGKILL and restarted.

In each, citizens keep submitting over the API and the form, the moderator keeps deciding and
answering over the socket; every submission is either committed and acknowledged promptly or
refused clearly, the open sockets keep the server healthy, and at the end every client, which
assembled the dialogue from its snapshot and the events (reconnecting with `?after=` when
dropped), holds exactly the database's state as the API reports it.
"""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from livechat.models import Dialogue, Question
from tests.reliability.conftest import redis_env, session_cookie_header
from tests.reliability.live import (
    Browser,
    LiveClient,
    public_state_api,
    question_payload,
    wait_until,
)

pytest.importorskip("websockets")

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

# A submission must be answered within this while Redis is down or hung (the rate limiter's
# cache read is the slowest part with a hung Redis: redis-py's 5 s socket timeout by default).
PROMPT_SECONDS = 3.0
HUNG_PROMPT_SECONDS = 7.5


class Live:
    """The people of one live dialogue on real servers: viewers, a moderator, citizens."""

    def __init__(self, dialogue: Dialogue, chair_id: int, cookie: str, servers: list[Any]):
        self.dialogue = dialogue
        self.chair_id = chair_id
        self.servers = servers
        self.stop = asyncio.Event()
        self.viewers = [
            LiveClient(s.ws_url, dialogue.slug, origin=s.url, name=f"viewer{n}@{s.port}")
            for n, s in enumerate(servers * 2)
        ]
        first = servers[0]
        self.moderator = LiveClient(
            first.ws_url, dialogue.slug, origin=first.url, cookie=cookie, name="moderator"
        )
        self.tasks: list[asyncio.Task[None]] = []
        self.submitted: list[int] = []

    @property
    def clients(self) -> list[LiveClient]:
        return [*self.viewers, self.moderator]

    async def start(self) -> None:
        for client in self.clients:
            await client.connect()
        deadline = asyncio.get_running_loop().time() + 150
        self.tasks = [
            asyncio.create_task(client.follow(self.stop, deadline=deadline))
            for client in self.clients
        ]

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def ask(self, server: Any, *, limit: float = PROMPT_SECONDS) -> int:
        """A citizen sends a question over the API; it must be committed and answered fast."""
        reply = await asyncio.to_thread(
            Browser(server.url).request,
            "POST",
            f"/api/v1/dialogues/{self.dialogue.slug}/questions",
            json_body=question_payload(),
        )
        assert reply.status == 201, reply.body[:300]
        assert reply.seconds < limit, f"the question took {reply.seconds:.1f} s"
        question_id = int(reply.json()["id"])
        self.submitted.append(question_id)
        return question_id

    async def ask_with_form(self, server: Any, *, limit: float = PROMPT_SECONDS) -> None:
        def post() -> Any:
            browser = Browser(server.url)
            page = f"/dialogues/{self.dialogue.slug}/"
            token = browser.csrf_token(page)
            payload = question_payload()
            form = {
                **{k: str(v) for k, v in payload.items() if not isinstance(v, bool)},
                "consent": "on",
                "csrfmiddlewaretoken": token,
            }
            return browser.request("POST", page, form=form)

        reply = await asyncio.to_thread(post)
        assert reply.status == 302, reply.body[:300]
        assert reply.seconds < limit, f"the form took {reply.seconds:.1f} s"

    async def approve(self, question_id: int) -> None:
        reply = await self.moderator.act(
            {"type": "approve", "request_id": uuid.uuid4().hex, "question_id": question_id}
        )
        assert reply["type"] == "ack", reply

    async def answer(self, question_id: int) -> None:
        reply = await self.moderator.act(
            {
                "type": "answer",
                "request_id": uuid.uuid4().hex,
                "question_id": question_id,
                "leader_id": self.chair_id,
                "body": "Tỉnh sẽ trả lời bằng văn bản trong tuần này.",
            }
        )
        assert reply["type"] == "ack", reply

    async def upvote(self, server: Any, question_id: int) -> None:
        reply = await asyncio.to_thread(
            Browser(server.url).request, "POST", f"/api/v1/questions/{question_id}/upvote"
        )
        assert reply.status == 200, reply.body[:300]

    async def all_see(self, question_id: int, *, wait: float) -> None:
        await wait_until(
            lambda: all(question_id in v.questions for v in self.viewers),
            wait=wait,
            what=f"every viewer shows question {question_id}",
        )

    async def converge(self, *, wait: float = 30) -> None:
        """Every client ends with exactly the database's state."""
        counters = await database_sync_to_async(
            lambda: Dialogue.objects.values("last_seq", "last_public_seq").get(pk=self.dialogue.pk)
        )()
        await wait_until(
            lambda: (
                all(v.seq == counters["last_public_seq"] for v in self.viewers)
                and self.moderator.seq == counters["last_seq"]
            ),
            wait=wait,
            what=f"every client reached the last event {counters}",
        )
        truth = await asyncio.to_thread(public_state_api, self.servers[0].url, self.dialogue.slug)
        for client in self.clients:
            assert client.public_state() == truth, client.name
            assert client.duplicates == 0 and client.gaps == 0, client.name
        staff_ids = await database_sync_to_async(
            lambda: set(
                Question.objects.filter(dialogue=self.dialogue)
                .exclude(status="merged")
                .values_list("id", flat=True)
            )
        )()
        assert set(self.moderator.questions) == staff_ids
        assert set(self.submitted) <= staff_ids


async def _live(asgi_server: Any, dialogue: Any, moderator: Any, count: int, env: Any) -> Live:
    servers = [await asyncio.to_thread(asgi_server, env=env) for _ in range(count)]
    cookie = await database_sync_to_async(session_cookie_header)(moderator)
    live = Live(dialogue, dialogue.chair_id, cookie, servers)
    await live.start()
    return live


async def test_redis_stopped_and_restarted_mid_dialogue_loses_nothing(
    asgi_server, private_redis, dialogue, moderator
):
    live = await _live(asgi_server, dialogue, moderator, 1, redis_env(private_redis))
    server = live.servers[0]
    try:
        # Redis up: the ordinary path.
        first = await live.ask(server)
        await live.approve(first)
        await live.all_see(first, wait=10)

        private_redis.stop()
        # Redis down: questions (API and form), decisions, answers and supports still commit
        # promptly; the viewers' sockets stay open and keep receiving (from the event log).
        during = await live.ask(server)
        await live.ask_with_form(server)
        await live.approve(during)
        await live.answer(first)
        await live.upvote(server, during)
        await live.all_see(during, wait=10)
        assert server.running()

        private_redis.start()  # the same port, its memory empty
        after = await live.ask(server)
        await live.approve(after)
        await live.answer(after)
        await live.converge()
        # Nobody had to reconnect: the outage cost the viewers nothing but a second's delay.
        assert all(client.close_codes == [] for client in live.clients)
    finally:
        await live.finish()
    assert await database_sync_to_async(Question.objects.filter(dialogue=dialogue).count)() == 4


async def test_redis_hung_mid_dialogue_answers_promptly_and_loses_nothing(
    asgi_server, private_redis, dialogue, moderator
):
    live = await _live(asgi_server, dialogue, moderator, 1, redis_env(private_redis))
    server = live.servers[0]
    assert private_redis.process is not None
    try:
        first = await live.ask(server)
        await live.approve(first)
        # Redis stops answering but keeps its connections open (SIGSTOP): without a bound, a
        # channel-layer send would wait for ever and hold up the request.
        os.kill(private_redis.process.pid, signal.SIGSTOP)
        try:
            during = await live.ask(server, limit=HUNG_PROMPT_SECONDS)
            await live.approve(during)
            await live.all_see(during, wait=15)
        finally:
            os.kill(private_redis.process.pid, signal.SIGCONT)
        after = await live.ask(server)
        await live.approve(after)
        await live.converge()
    finally:
        await live.finish()


async def test_daphne_killed_and_restarted_mid_dialogue_loses_nothing(
    asgi_server, private_redis, dialogue, moderator
):
    # Two processes sharing Redis: viewers on both; the moderator's socket is on the first.
    live = await _live(asgi_server, dialogue, moderator, 2, redis_env(private_redis))
    killed, survivor = live.servers[1], live.servers[0]
    try:
        first = await live.ask(survivor)
        await live.approve(first)
        await live.all_see(first, wait=10)

        killed.kill()  # SIGKILL: no close frames, its viewers see the connection drop
        during = await live.ask(survivor)
        await live.approve(during)
        await live.answer(first)
        await live.upvote(survivor, first)

        # The same port (where its clients come back) and the same channel prefix.
        restarted = await asyncio.to_thread(asgi_server, env=killed.env, port=killed.port)
        after = await live.ask(restarted)
        await live.approve(after)
        await live.converge()
        dropped = [v for v in live.viewers if v.close_codes]
        # The killed process's viewers reconnected and resumed (not a fresh snapshot).
        assert len(dropped) == 2
        assert all(v.resumes >= 1 for v in dropped)
    finally:
        await live.finish()
