"""A client that stops reading delays no one, is dropped, and resumes without a loss: end to
end, against a daphne process, with a real TCP client that opens the socket, reads its
snapshot and then never reads again (a tiny receive buffer, so the server's writes back up).

daphne never makes the application wait on a slow socket (Twisted buffers each connection's
writes), so the other sockets are not delayed whatever the stalled one does; it drops the
stalled connection when its keepalive ping goes unanswered (`--ping-interval`,
`--ping-timeout`: 20 s and 30 s by default, short here). Servers that apply back-pressure
(uvicorn) meet the consumer's own limit instead: 500 frames waiting, then close 4408 (the
in-process test in tests/livechat/test_fanout.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import statistics
import time
import uuid
from typing import Any

import pytest
from channels.db import database_sync_to_async

from livechat.models import Dialogue
from tests.conftest import QUESTION_DEFAULTS
from tests.reliability.conftest import session_cookie_header
from tests.reliability.live import Browser, LiveClient, public_state_api, wait_until

pytest.importorskip("websockets")

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PING = ["--ping-interval", "1", "--ping-timeout", "2"]
LONG_BODY = ("Đề nghị tỉnh cho biết lộ trình bồi thường, hỗ trợ và tái định cư. " * 28)[:1990]


class StalledClient:
    """A WebSocket client over a raw TCP socket that stops reading after its first frame."""

    def __init__(self, port: int, path: str) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n"
            ).encode()
        )
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self.sock.recv(4096)
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 101"), head
        self.frames: list[dict[str, Any]] = []
        self.closed_by_server = False

    def _parse(self) -> None:
        while len(self.buffer) >= 2:
            opcode, length, start = self.buffer[0] & 0x0F, self.buffer[1] & 0x7F, 2
            if length == 126:
                length, start = int.from_bytes(self.buffer[2:4], "big"), 4
            elif length == 127:
                length, start = int.from_bytes(self.buffer[2:10], "big"), 10
            if len(self.buffer) < start + length:
                return
            payload, self.buffer = (
                self.buffer[start : start + length],
                self.buffer[start + length :],
            )
            if opcode == 1:
                self.frames.append(json.loads(payload))
            elif opcode == 8:
                self.closed_by_server = True

    def read_first(self) -> dict[str, Any]:
        while not self.frames:
            self.buffer += self.sock.recv(65536)
            self._parse()
        return self.frames[0]

    def drain(self, wait: float) -> bool:
        """Read everything the server wrote; True once the server ended the connection."""
        deadline = time.monotonic() + wait
        self.sock.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            except ConnectionError:
                return True
            if not chunk:
                return True
            self.buffer += chunk
            self._parse()
        return False

    def last_seq(self) -> int:
        return max(f["seq"] for f in self.frames if "seq" in f)


async def test_client_that_stops_reading_delays_no_one_is_dropped_and_resumes(
    asgi_server, dialogue, moderator
):
    server = await asyncio.to_thread(asgi_server, args=PING)
    cookie = await database_sync_to_async(session_cookie_header)(moderator)
    path = f"/ws/dialogues/{dialogue.slug}/"
    stalled = await asyncio.to_thread(StalledClient, server.port, path)
    snapshot = await asyncio.to_thread(stalled.read_first)
    assert snapshot["type"] == "snapshot"

    readers = [
        LiveClient(server.ws_url, dialogue.slug, origin=server.url, name=f"reader{n}")
        for n in range(3)
    ]
    staff = LiveClient(server.ws_url, dialogue.slug, origin=server.url, cookie=cookie)
    for client in [*readers, staff]:
        await client.connect()
    stop = asyncio.Event()
    deadline = asyncio.get_running_loop().time() + 120
    followers = [asyncio.create_task(c.follow(stop, deadline=deadline)) for c in [*readers, staff]]
    lags: list[float] = []
    try:
        for n in range(40):
            # A long question, published: two frames of ~3 kB each for every socket.
            reply = await asyncio.to_thread(
                Browser(server.url).request,
                "POST",
                f"/api/v1/dialogues/{dialogue.slug}/questions",
                json_body={**QUESTION_DEFAULTS, "body": LONG_BODY, "request_id": f"long-{n}"},
            )
            assert reply.status == 201
            question_id = reply.json()["id"]
            approved = await staff.act(
                {"type": "approve", "request_id": uuid.uuid4().hex, "question_id": question_id}
            )
            assert approved["type"] == "ack"
            acked_at = time.monotonic()
            await wait_until(
                lambda qid=question_id: all(qid in r.questions for r in readers),
                wait=10,
                what=f"the readers show question {question_id}",
            )
            lags.append(time.monotonic() - acked_at)
        # The others never waited for the stalled socket.
        assert statistics.median(lags) < 0.5, lags
        assert max(lags) < 3, lags

        # The stalled client is dropped by the server (its pings went unanswered) ...
        assert await asyncio.to_thread(stalled.drain, 20), "the stalled socket was never closed"
        seen = stalled.last_seq()
        assert seen < readers[0].seq  # it had fallen behind

        # ... and resumes with ?after= where it stopped, then holds the database's state.
        # (The same page: the state it had assembled from what it did read.)
        resumed = LiveClient(server.ws_url, dialogue.slug, origin=server.url, name="resumed")
        for frame in stalled.frames:
            resumed.apply(frame)
        assert (resumed.seq, resumed.role) == (seen, "public")
        first = await resumed.connect()
        assert first == {"type": "resumed", "seq": seen, "role": "public"}
        last = await database_sync_to_async(
            lambda: Dialogue.objects.values_list("last_public_seq", flat=True).get(pk=dialogue.pk)
        )()
        while resumed.seq < last:
            await resumed.read_one(wait=5)
        truth = await asyncio.to_thread(public_state_api, server.url, dialogue.slug)
        assert resumed.public_state() == truth
        assert resumed.duplicates == resumed.gaps == 0
        await resumed.close()
    finally:
        stop.set()
        await asyncio.gather(*followers, return_exceptions=True)
        stalled.sock.close()
    assert server.running()
