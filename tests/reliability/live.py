"""Tools of the reliability tests: a private Redis that a test may stop and start, HTTP calls
to a real server, and a live-page client that assembles the dialogue from its snapshot and
events exactly as the page's script does (docs/protocol.md), reconnecting with `?after=`.

Everything talks to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REDIS_SERVER = shutil.which("redis-server")


# --- a Redis of the test's own ---------------------------------------------------------------


class PrivateRedis:
    """A `redis-server` on a free port of 127.0.0.1, started and stopped by this test only
    (by its pid), never the shared one on 6379. `stop()` then `start()` reuses the port, as a
    restarted Redis would, with its memory empty (no persistence)."""

    def __init__(self) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.process: subprocess.Popen[bytes] | None = None
        self.dir = Path(tempfile.mkdtemp(prefix="redis-private-"))

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10) -> None:
        self.process = subprocess.Popen(
            [
                str(REDIS_SERVER),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def ping(self) -> bool:
        try:
            return self.command("PING") == "+PONG"
        except OSError:
            return False

    def command(self, *words: str) -> str:
        """One inline command; returns the first line of the reply."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall((" ".join(words) + "\r\n").encode())
            return sock.recv(65536).decode(errors="replace").split("\r\n", 1)[0]

    def stop(self) -> None:
        """SIGKILL, like a crash: clients see their connections drop."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


# --- HTTP to a real server -------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]
    seconds: float

    def json(self) -> Any:
        return json.loads(self.body)


class Browser:
    """An HTTP client with its own cookies (urllib), like one person's browser."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def cookie(self, name: str) -> str:
        return next((c.value or "" for c in self.cookies if c.name == name), "")

    def set_cookie(self, name: str, value: str) -> None:
        self.cookies.set_cookie(
            http.cookiejar.Cookie(
                0,
                name,
                value,
                None,
                False,
                "127.0.0.1",
                False,
                False,
                "/",
                True,
                False,
                None,
                False,
                None,
                None,
                {},
            )
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        form: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Reply:
        data = None
        headers = {"Origin": self.base_url, "Referer": self.base_url + path}
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        elif form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method != "GET" and self.cookie("csrftoken"):
            headers["X-CSRFToken"] = self.cookie("csrftoken")
        req = urllib.request.Request(  # noqa: S310 -- the test's own http://127.0.0.1 server
            self.base_url + path, data=data, method=method, headers=headers
        )
        started = time.monotonic()
        try:
            with self.opener.open(req, timeout=timeout) as response:
                body = response.read()
                return Reply(
                    response.status, body, dict(response.headers), time.monotonic() - started
                )
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read(), dict(error.headers), time.monotonic() - started)

    def csrf_token(self, path: str) -> str:
        """GET a page with a form and return the CSRF token it carries (cookie set too)."""
        self.request("GET", path)
        return self.cookie("csrftoken")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 302 is an answer to check, not to follow


def question_payload(**extra: Any) -> dict[str, Any]:
    return {
        "asker_name": "Nguyễn Văn An",
        "locality": "Phường Tân Phong",
        "email": "an.nguyen@example.vn",
        "body": "Khi nào gia đình tôi nhận được tiền bồi thường đất nông nghiệp?",
        "consent": True,
        "publish_name": True,
        "request_id": uuid.uuid4().hex,
        **extra,
    }


def public_state_api(base_url: str, slug: str) -> dict[int, tuple[tuple[int, ...], int]]:
    """The database's public state through `GET /api/v1/dialogues/{slug}`:
    {question id: (answer ids, upvote count)}."""
    reply = Browser(base_url).request("GET", f"/api/v1/dialogues/{slug}")
    assert reply.status == 200, reply.body[:500]
    return state_of(reply.json()["questions"])


def state_of(questions: Any) -> dict[int, tuple[tuple[int, ...], int]]:
    items = questions.values() if isinstance(questions, dict) else questions
    return {
        int(q["id"]): (tuple(sorted(int(a["id"]) for a in q.get("answers", []))), q["upvote_count"])
        for q in items
    }


# --- a live-page client ----------------------------------------------------------------------


class StreamBroken(Exception):
    """A frame out of sequence: the client must reconnect with ?after=."""


@dataclass
class LiveClient:
    """One page following a dialogue over a real socket, keeping its questions by id."""

    ws_base: str
    slug: str
    origin: str
    cookie: str = ""
    name: str = "client"
    questions: dict[int, dict[str, Any]] = field(default_factory=dict)
    seq: int | None = None
    role: str | None = None
    status: str = ""
    snapshots: int = 0
    resumes: int = 0
    applied: int = 0
    duplicates: int = 0
    gaps: int = 0
    close_codes: list[int | None] = field(default_factory=list)
    seqs: list[int] = field(default_factory=list)
    replies: dict[str, dict[str, Any]] = field(default_factory=dict)
    ws: Any = None

    def url(self) -> str:
        query = ""
        if self.seq is not None and self.role is not None:
            query = f"?after={self.seq}&audience={self.role}"
        return f"{self.ws_base}/ws/dialogues/{self.slug}/{query}"

    async def connect(self, wait: float = 15) -> dict[str, Any]:
        """Open (or re-open with ?after=) and apply the first frame."""
        import websockets

        headers = {"Cookie": self.cookie} if self.cookie else None
        self.ws = await websockets.connect(
            self.url(),
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers=headers,
            open_timeout=wait,
            max_size=2**22,
            ping_interval=None,
        )
        first = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
        self.apply(first)
        return first

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)
            self.ws = None

    def apply(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "snapshot":
            self.snapshots += 1
            self.role = frame["role"]
            self.seq = frame["seq"]
            self.status = frame["dialogue"]["status"]
            self.questions = {q["id"]: q for q in frame["questions"]}
            return
        if kind == "resumed":
            self.resumes += 1
            if frame["seq"] != self.seq:
                raise StreamBroken(f"resumed at {frame['seq']}, expected {self.seq}")
            return
        if kind in ("ack", "error"):
            self.replies[frame.get("request_id", "")] = frame
            return
        if kind != "event":
            return
        seq = frame["seq"]
        assert self.seq is not None
        if seq <= self.seq:
            self.duplicates += 1
            return
        if seq != self.seq + 1:
            self.gaps += 1
            raise StreamBroken(f"{self.name}: seq {seq} after {self.seq}")
        self.seq = seq
        self.seqs.append(seq)
        self.applied += 1
        self._event(frame["event"], frame["data"])

    def _event(self, event: str, data: dict[str, Any]) -> None:
        questions = self.questions
        if "question" in data and event != "question.merged":
            question = data["question"]
            if self.role == "public" or question.get("status") != "merged":
                questions[question["id"]] = question
        if event == "question.rejected" and "question_id" in data:
            questions.pop(data["question_id"], None)
        elif event == "question.merged":
            for merged in data.get("merged_ids", []):
                questions.pop(merged, None)
            if "question" in data:
                questions[data["question"]["id"]] = data["question"]
        elif event == "question.upvoted":
            if data["question_id"] in questions:
                questions[data["question_id"]]["upvote_count"] = data["upvote_count"]
        elif event == "answer.posted":
            question = questions.get(data["question_id"])
            if question is not None:
                answers = {a["id"]: a for a in question.get("answers", [])}
                answers[data["answer"]["id"]] = data["answer"]
                question["answers"] = list(answers.values())
                question["answer_state"] = data["answer_state"]
        elif event == "dialogue.status_changed":
            self.status = data["status"]

    async def read_one(self, wait: float) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.ws.recv(), wait))
        self.apply(frame)
        return frame

    async def follow(self, stop: asyncio.Event, *, deadline: float) -> None:
        """Read and apply frames until `stop` is set (or the deadline); on any drop reconnect
        with ?after= after a short, growing pause, as the page's script does."""
        import websockets

        pause = 0.1
        loop = asyncio.get_running_loop()
        while not stop.is_set() and loop.time() < deadline:
            try:
                if self.ws is None:
                    await self.connect()
                    pause = 0.1
                await self.read_one(wait=0.5)
            except TimeoutError:
                continue
            except (StreamBroken, websockets.ConnectionClosed, OSError) as error:
                code = getattr(getattr(error, "rcvd", None), "code", None)
                self.close_codes.append(code)
                await self.close()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 2.0)
        await self.close()

    async def act(self, frame: dict[str, Any], *, wait: float = 15) -> dict[str, Any]:
        """Send a client action and return its ack or error frame, re-sending it (same
        request_id) after a reconnect. Use while `follow` runs: it reads the replies."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        sent_on = None
        while loop.time() < deadline:
            reply = self.replies.get(frame["request_id"])
            if reply is not None and reply.get("code") == "too_many_requests":
                # Too fast for the socket's action limit: send it again when told.
                del self.replies[frame["request_id"]]
                await asyncio.sleep(float(reply.get("retry_after", 1)))
                sent_on = None
                continue
            if reply is not None:
                return reply
            if self.ws is not None and self.ws is not sent_on:
                with contextlib.suppress(Exception):
                    await self.ws.send(json.dumps(frame))
                    sent_on = self.ws
            await asyncio.sleep(0.02)
        raise TimeoutError(
            f"{self.name}: no reply to {frame} (closes {self.close_codes}, seq {self.seq})"
        )

    def public_state(self) -> dict[int, tuple[tuple[int, ...], int]]:
        return state_of(
            q for q in self.questions.values() if q.get("status", "published") == "published"
        )


async def wait_until(predicate: Any, *, wait: float, what: str) -> None:
    """Poll `predicate()` every 50 ms until true; fail with `what` after `wait` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {wait:.0f} s waiting until {what}")
        await asyncio.sleep(0.05)
