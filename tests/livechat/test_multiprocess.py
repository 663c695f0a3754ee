"""Two daphne processes sharing one Redis and one PostgreSQL database: a moderator acting on
process 2 reaches a public viewer on process 1 (the cross-process doorbell).

Needs REDIS_URL and a PostgreSQL DATABASE_URL (CI sets both); skipped otherwise, because the
in-memory channel layer cannot cross processes and SQLite's in-memory test database cannot be
shared with another process.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings

from livechat import services
from tests.conftest import QUESTION_DEFAULTS
from tests.livechat.test_consumers import session_cookie

websockets = pytest.importorskip("websockets")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("REDIS_URL")
        or not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")),
        reason="needs REDIS_URL and a PostgreSQL DATABASE_URL shared with the daphne processes",
    ),
]

BASE_DIR = Path(settings.BASE_DIR)
DAPHNE = [sys.executable, "-m", "daphne"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_database_url() -> str:
    """The URL of the database this test writes to (pytest-django's test_<name>)."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


test_database_url.__test__ = False  # type: ignore[attr-defined]  -- a helper, not a test


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def daphnes(transactional_db: Any, tmp_path: Path):
    """Start two daphne processes on free ports; stop them by pid afterwards."""
    env = {
        **os.environ,
        # dev settings read everything from the environment; the test settings would give
        # each process its own random channel prefix, and they must share one.
        "DJANGO_SETTINGS_MODULE": "consult.settings.dev",
        "DEBUG": "0",
        "DATABASE_URL": test_database_url(),
        "CHANNEL_PREFIX": f"consult-mp-{uuid.uuid4().hex[:8]}",
        "CACHE_PREFIX": f"consult-mp-{uuid.uuid4().hex[:8]}",
        "SECRET_KEY": settings.SECRET_KEY,  # the session cookie made here must be valid there
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    processes: list[tuple[int, subprocess.Popen[bytes], Path]] = []
    try:
        for n in (1, 2):
            port = free_port()
            log = tmp_path / f"daphne-{n}.log"
            process = subprocess.Popen(
                [*DAPHNE, "-b", "127.0.0.1", "-p", str(port), "asgi:application"],
                cwd=BASE_DIR,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
            )
            processes.append((port, process, log))
        deadline = time.monotonic() + 30
        for port, process, log in processes:
            while not port_open(port):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"daphne on port {port} did not start:\n{log.read_text()}")
                time.sleep(0.1)
        yield [port for port, _, _ in processes]
    finally:
        for _, process, _ in processes:
            process.terminate()
        for _, process, _ in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


async def recv_json(ws: Any, wait: float = 10) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(ws.recv(), wait))


async def viewer_sees_moderator_on_another_process(
    viewer_port: int, moderator_port: int, slug: str, cookie: str, question_id: int
) -> None:
    from websockets.asyncio.client import connect

    def url(port: int) -> str:
        return f"ws://127.0.0.1:{port}/ws/dialogues/{slug}/"

    async with (
        connect(url(viewer_port), origin=f"http://127.0.0.1:{viewer_port}") as viewer,
        connect(
            url(moderator_port),
            origin=f"http://127.0.0.1:{moderator_port}",
            additional_headers={"Cookie": f"sessionid={cookie}"},
        ) as moderator,
    ):
        public_snapshot = await recv_json(viewer)
        assert (public_snapshot["type"], public_snapshot["role"]) == ("snapshot", "public")
        assert public_snapshot["questions"] == []
        staff_snapshot = await recv_json(moderator)
        assert staff_snapshot["role"] == "staff"
        assert [q["id"] for q in staff_snapshot["questions"]] == [question_id]

        await moderator.send(
            json.dumps(
                {"type": "approve", "request_id": "mp", "question_id": question_id, "version": 1}
            )
        )
        replies = [await recv_json(moderator) for _ in range(2)]  # the ack and the staff event
        assert {r["type"] for r in replies} == {"ack", "event"}

        frame = await recv_json(viewer)
        assert frame["type"] == "event"
        assert frame["event"] == "question.published"
        assert frame["seq"] == public_snapshot["seq"] + 1
        assert frame["data"]["question"]["id"] == question_id
        assert "email" not in frame["data"]["question"]


def test_moderator_on_one_process_reaches_viewer_on_another(daphnes, dialogue, moderator):
    question, _ = services.question_submit(dialogue_id=dialogue.pk, **QUESTION_DEFAULTS)
    cookie = session_cookie(moderator)
    viewer_port, moderator_port = daphnes
    asyncio.run(
        viewer_sees_moderator_on_another_process(
            viewer_port, moderator_port, dialogue.slug, cookie, question.pk
        )
    )
