"""What the live benchmarks share: a dialogue to follow, the servers under test, the groups of
load-client processes, and the producer (the moderator's service call, timed when it returns).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import queue
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import (
    HOST,
    PYTHON,
    ROOT,
    cpu_seconds,
    free_port,
    log_path,
    process_stop,
    rss_mb,
    server_start,
)

VIEWERS_PER_CLIENT = 5000


# --- the dialogue ----------------------------------------------------------------------------


@dataclass
class LiveData:
    dialogue_id: int
    slug: str
    moderator: Any
    pending: list[int]
    frame_bytes: int
    session_cookie: str = ""


def dialogue_live_create(kind: str) -> tuple[str, Any, Any, Any]:
    """A live dialogue of its own (agency, chair, a moderator) for one benchmark run:
    (tag, dialogue, moderator, chair); `kind` ("bench", "soak") prefixes the names."""
    from django.utils import timezone

    from consult.models import Agency, Leader, User
    from livechat.models import Dialogue

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(code=f"{kind}-{tag}", name=f"Ủy ban nhân dân tỉnh ({kind})")
    chair = Leader.objects.create(name="Nguyễn Văn Hùng", title="Chủ tịch UBND tỉnh", agency=agency)
    moderator = User.objects.create_user(
        username=f"{kind}-{tag}", password=uuid.uuid4().hex, role="moderator"
    )
    now = timezone.now()
    dialogue = Dialogue.objects.create(
        slug=f"{kind}-{tag}",
        topic="Đối thoại đo tải: giải phóng mặt bằng đường vành đai",
        host_agency=agency,
        chair=chair,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=6),
        status=Dialogue.Status.LIVE,
    )
    return tag, dialogue, moderator, chair


def dialogue_make(n_pending: int, n_published: int = 20) -> LiveData:
    """A live dialogue with `n_published` questions on the page and `n_pending` to approve."""
    from django.db.models import Max
    from django.test import Client

    from livechat import events, services
    from livechat.models import DialogueEvent

    tag, dialogue, moderator, _chair = dialogue_live_create("bench")
    ids = []
    for i in range(n_pending + n_published):
        question, _ = services.question_submit(
            dialogue_id=dialogue.pk,
            asker_name="Trần Thị Bình",
            locality="Phường Tân Phong",
            email=f"bench{i}@example.vn",
            body=f"Câu hỏi đo tải số {i}: khi nào gia đình tôi nhận tiền bồi thường đất nông "
            "nghiệp bị thu hồi cho dự án đường vành đai, và mức hỗ trợ chuyển đổi nghề là bao nhiêu?",
            consent=True,
            publish_name=bool(i % 2),
            request_id=f"bench-{tag}-{i}",
        )
        ids.append(question.pk)
    for qid in ids[:n_published]:
        services.question_approve(actor=moderator, question_id=qid)
    frame_bytes = 600
    last = (
        DialogueEvent.objects.filter(dialogue=dialogue, type=events.QUESTION_PUBLISHED)
        .aggregate(Max("seq"))
        .get("seq__max")
    )
    if last:
        event = DialogueEvent.objects.get(dialogue=dialogue, seq=last)
        frame_bytes = len((events.public_frame(event) or "").encode())
    client = Client()
    client.force_login(moderator)
    return LiveData(
        dialogue_id=dialogue.pk,
        slug=dialogue.slug,
        moderator=moderator,
        pending=ids[n_published:],
        frame_bytes=frame_bytes,
        session_cookie=client.cookies["sessionid"].value,
    )


def approve(data: LiveData, question_id: int) -> float:
    """Publish one question through the service; the time its call returned (after commit and
    the doorbell)."""
    from livechat import services

    services.question_approve(actor=data.moderator, question_id=question_id)
    return time.time()


# --- lines from child processes, with deadlines ----------------------------------------------


class LineReader:
    """Reads a child's stdout lines in a thread so that every wait can have a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        if self.process.stdout is None:
            raise RuntimeError("no stdout pipe")
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def json(self, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no answer from a child process")
            line = self.lines.get(timeout=remaining)
            if line is None:
                raise RuntimeError("a child process ended early")
            line = line.strip()
            if line.startswith("{"):
                return json.loads(line)

    def send(self, command: str) -> None:
        if self.process.stdin is None:
            raise RuntimeError("no stdin pipe")
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    kind: str
    port: int
    process: subprocess.Popen[Any]
    reader: LineReader | None = None
    warm: Any = None
    rss_before: float = 0.0
    cpu_before: float = 0.0

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, slug: str) -> str:
        if self.kind == "websockets":
            return f"ws://{HOST}:{self.port}/"
        return f"ws://{HOST}:{self.port}/ws/dialogues/{slug}/"

    def stop(self) -> None:
        if self.warm is not None:
            with contextlib.suppress(Exception):
                self.warm.close()
        if self.reader is not None:
            with contextlib.suppress(Exception):
                self.reader.send("quit")
        process_stop(self.process)


def reference_start(frame_bytes: int) -> Server:
    port = free_port()
    log = log_path(f"refserver-{port}")
    process = subprocess.Popen(
        [PYTHON, "-m", "bench.refserver", "--port", str(port), "--frame-bytes", str(frame_bytes)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    reader = LineReader(process)
    reader.json(30)  # {"ready": true}
    return Server("websockets", port, process, reader)


def consult_start(kind: str, port: int | None = None) -> Server:
    port = port or free_port()
    return Server(kind, port, server_start(kind, port))


def warm_up(server: Server, data: LiveData) -> None:
    """One viewer held open for the whole run (the hub exists, the database connection is
    open), then the baseline RSS for the memory per viewer."""
    from websockets.sync.client import connect

    server.warm = connect(
        server.url(data.slug), origin=f"http://{HOST}:{server.port}", open_timeout=30
    )
    server.warm.recv(timeout=30)
    time.sleep(0.5)
    server.rss_before = rss_mb(server.pid)


# --- load clients ----------------------------------------------------------------------------


@dataclass
class ClientGroup:
    """Load-client processes; each follows one server."""

    processes: list[subprocess.Popen[str]] = field(default_factory=list)
    readers: list[LineReader] = field(default_factory=list)
    outs: list[Path] = field(default_factory=list)
    server_of: list[int] = field(default_factory=list)
    viewers: list[int] = field(default_factory=list)
    connect_reports: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def start(
        cls,
        servers: list[Server],
        slug: str,
        n: int,
        *,
        reconnect: bool = False,
        concurrency: int = 100,
        rate: float = 0.0,
        max_seconds: float = 900,
    ) -> ClientGroup:
        group = cls()
        count = max(len(servers), math.ceil(n / VIEWERS_PER_CLIENT))
        if n >= 2000:
            count = max(count, 2)  # both cores read
        base, extra = divmod(n, count)
        for i in range(count):
            server_index = i % len(servers)
            server = servers[server_index]
            viewers = base + (1 if i < extra else 0)
            out = Path(tempfile.gettempdir()) / f"consult-bench-client-{uuid.uuid4().hex}.json"
            config = {
                "urls": [server.url(slug)],
                "origin": f"http://{HOST}:{server.port}",
                "viewers": viewers,
                "reconnect": reconnect,
                "concurrency": max(1, concurrency // count),
                "rate": rate / count if rate else 0,
                "out": str(out),
                "max_seconds": max_seconds,
            }
            process = subprocess.Popen(
                [PYTHON, "-m", "bench.loadclient", json.dumps(config)],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_path("loadclient").open("w"),
                text=True,
            )
            group.processes.append(process)
            group.readers.append(LineReader(process))
            group.outs.append(out)
            group.server_of.append(server_index)
            group.viewers.append(viewers)
        return group

    def wait_connected(self, timeout: float) -> dict[str, Any]:
        self.connect_reports = [reader.json(timeout) for reader in self.readers]
        return {
            "connected": sum(r["connected"] for r in self.connect_reports),
            "failed": sum(r["failed"] for r in self.connect_reports),
            "seconds": max(r["seconds"] for r in self.connect_reports),
            "connect_ms_p50": max((r["connect_ms_p50"] or 0) for r in self.connect_reports),
            "connect_ms_p99": max((r["connect_ms_p99"] or 0) for r in self.connect_reports),
            "errors": [r["errors"] for r in self.connect_reports if r["errors"]],
        }

    def count(self) -> tuple[int, int]:
        """(question.published frames received, sockets open) over every client."""
        received = opened = 0
        for reader in self.readers:
            reader.send("count")
        for reader in self.readers:
            answer = reader.json(30)
            received += answer["received"]
            opened += answer["open"]
        return received, opened

    def wait_received(self, expected: int, seconds: float) -> int:
        deadline = time.monotonic() + seconds
        received = 0
        while time.monotonic() < deadline:
            received, _ = self.count()
            if received >= expected:
                break
            time.sleep(0.25)
        return received

    def stop(self) -> list[dict[str, Any]]:
        for reader in self.readers:
            with contextlib.suppress(Exception):
                reader.send("stop")
        for reader, process, out in zip(self.readers, self.processes, self.outs, strict=True):
            try:
                reader.json(60)
            except Exception:
                process.kill()
            process.wait(timeout=30)
            if out.exists():
                self.results.append(json.loads(out.read_text()))
                out.unlink()
            else:
                self.results.append({})
        return self.results

    def kill(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()


def deliveries(results: list[dict[str, Any]], commits: dict[int, float]) -> dict[str, Any]:
    """Latency from the producing call's return to each receipt, and per-event figures."""
    latencies: list[float] = []
    per_event_max: list[float] = []
    delivered = 0
    for qid, at in commits.items():
        event_latencies = [
            (t - at) * 1000 for r in results for t in r.get("receipts", {}).get(str(qid), [])
        ]
        delivered += len(event_latencies)
        latencies += event_latencies
        if event_latencies:
            per_event_max.append(max(event_latencies))
    return {"delivered": delivered, "latencies": latencies, "per_event_max": per_event_max}


def cpu_mark(servers: list[Server]) -> None:
    for server in servers:
        server.cpu_before = cpu_seconds(server.pid)


def cpu_used(server: Server) -> float:
    return cpu_seconds(server.pid) - server.cpu_before
