"""The load client: N WebSocket viewers of one dialogue in one process, run by the benchmarks
(`python -m bench.loadclient '<json config>'`), never by hand.

It connects the viewers (bounded concurrency, optional rate), each waiting for its first frame
(`snapshot`), then prints one JSON line and reads commands on stdin, one per line:

- `count`: print {"received": ..., "open": ...} (frames of `question.published` so far);
- `stop`: close every socket (bounded), write the results file, print {"done": true}, exit.

Each viewer follows the protocol of docs/protocol.md: it checks that `seq` rises by one, and
with `reconnect` it comes back after a lost connection with `?after=<seq>&audience=public`
and a growing jittered delay (1 s, 2 s, 4 s… ±50 %, at most 30 s). The receipt time of every
`question.published` frame is kept per question id (time.time(), the machine's one clock), so
the orchestrator can match it with the time the producing call returned.

Talks only to the URLs it is given (127.0.0.1); every wait has a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import resource
import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State


class Viewer:
    __slots__ = (
        "closed",
        "dupes",
        "errors",
        "gaps",
        "reconnect_failures",
        "reconnected_at",
        "reconnects",
        "resumed",
        "seq",
        "snapshots",
        "url",
        "ws",
    )

    def __init__(self, url: str) -> None:
        self.url = url
        self.ws: Any = None
        self.seq: int | None = None
        self.gaps = self.dupes = self.errors = self.closed = 0
        self.reconnects = self.resumed = self.snapshots = self.reconnect_failures = 0
        self.reconnected_at: float | None = None


class LoadClient:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.urls: list[str] = config["urls"]
        self.origin: str = config["origin"]
        self.reconnect: bool = config.get("reconnect", False)
        self.deadline = time.monotonic() + float(config.get("max_seconds", 900))
        self.receipts: dict[int, list[float]] = defaultdict(list)
        self.received = 0
        self.viewers: list[Viewer] = []
        self.tasks: list[asyncio.Task[None]] = []
        self.stop = asyncio.Event()
        self.connect_failures = 0
        self.connect_errors: Counter[str] = Counter()
        self.connect_ms: list[float] = []

    async def _open(self, url: str) -> Any:
        return await connect(
            url,
            origin=self.origin,  # type: ignore[arg-type]
            open_timeout=self.config.get("open_timeout", 60),
            ping_interval=None,  # the server pings; the client answers
            compression=None,  # neither daphne nor the reference compresses
            max_queue=None,
            close_timeout=2,
        )

    def frame(self, viewer: Viewer, text: str | bytes, now: float) -> None:
        frame = json.loads(text)
        kind = frame.get("type")
        if kind == "event":
            seq = frame["seq"]
            if viewer.seq is not None and seq != viewer.seq + 1:
                if seq <= viewer.seq:
                    viewer.dupes += 1
                    return
                viewer.gaps += 1
            viewer.seq = seq
            if frame.get("event") == "question.published":
                self.receipts[frame["data"]["question"]["id"]].append(now)
                self.received += 1
        elif kind == "snapshot":
            viewer.seq = frame.get("seq", 0)
            viewer.snapshots += 1
        elif kind == "resumed":
            viewer.seq = frame["seq"]
            viewer.resumed += 1

    async def viewer_open(self, url: str, gate: asyncio.Semaphore) -> None:
        async with gate:
            started = time.perf_counter()
            try:
                ws = await self._open(url)
                first = await asyncio.wait_for(ws.recv(), self.config.get("open_timeout", 60))
            except Exception as exc:
                self.connect_failures += 1
                self.connect_errors[type(exc).__name__ + ": " + str(exc)[:80]] += 1
                return
            self.connect_ms.append((time.perf_counter() - started) * 1000)
        viewer = Viewer(url)
        viewer.ws = ws
        self.frame(viewer, first, time.time())
        self.viewers.append(viewer)
        self.tasks.append(asyncio.create_task(self.viewer_run(viewer)))

    async def viewer_run(self, viewer: Viewer) -> None:
        frame = self.frame
        while True:
            try:
                async for text in viewer.ws:
                    frame(viewer, text, time.time())
            except ConnectionClosed:
                pass
            except asyncio.CancelledError:
                raise
            except Exception:
                viewer.errors += 1
            if self.stop.is_set():
                return
            viewer.closed += 1
            if not self.reconnect or not await self.viewer_reconnect(viewer):
                return

    async def viewer_reconnect(self, viewer: Viewer) -> bool:
        delay = 1.0
        while not self.stop.is_set() and time.monotonic() < self.deadline:
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            query = f"?after={viewer.seq}&audience=public" if viewer.seq is not None else ""
            try:
                viewer.ws = await self._open(viewer.url + query)
            except Exception:
                viewer.reconnect_failures += 1
                delay = min(delay * 2, 30.0)
                continue
            viewer.reconnects += 1
            viewer.reconnected_at = time.time()
            return True
        return False

    async def run(self) -> None:
        gate = asyncio.Semaphore(self.config.get("concurrency", 100))
        rate = float(self.config.get("rate", 0))
        n = int(self.config["viewers"])
        started = time.monotonic()
        opening = []
        for i in range(n):
            if rate:
                wait = started + i / rate - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            opening.append(
                asyncio.create_task(self.viewer_open(self.urls[i % len(self.urls)], gate))
            )
        await asyncio.gather(*opening)
        report = {
            "connected": len(self.viewers),
            "failed": self.connect_failures,
            "errors": dict(self.connect_errors.most_common(5)),
            "seconds": round(time.monotonic() - started, 2),
            "connect_ms_p50": _pct(self.connect_ms, 0.5),
            "connect_ms_p99": _pct(self.connect_ms, 0.99),
        }
        print(json.dumps(report), flush=True)
        await self.commands()

    async def commands(self) -> None:
        loop = asyncio.get_running_loop()
        lines: asyncio.Queue[str] = asyncio.Queue()

        def read() -> None:
            for line in sys.stdin:
                loop.call_soon_threadsafe(lines.put_nowait, line.strip())
            loop.call_soon_threadsafe(lines.put_nowait, "stop")

        threading.Thread(target=read, daemon=True).start()
        while True:
            timeout = max(1.0, self.deadline - time.monotonic())
            try:
                command = await asyncio.wait_for(lines.get(), timeout)
            except TimeoutError:
                command = "stop"
            if command == "count":
                open_now = sum(
                    1 for v in self.viewers if v.ws is not None and v.ws.state is State.OPEN
                )
                print(json.dumps({"received": self.received, "open": open_now}), flush=True)
            elif command == "stop":
                await self.finish()
                print(json.dumps({"done": True}), flush=True)
                return

    async def finish(self) -> None:
        self.stop.set()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        closing = [v.ws.close() for v in self.viewers if v.ws is not None]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*closing, return_exceptions=True), 20)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        viewers = self.viewers
        results = {
            "viewers": len(viewers),
            "connect_failures": self.connect_failures,
            "receipts": {str(q): times for q, times in self.receipts.items()},
            "final_seq": dict(Counter(str(v.seq) for v in viewers)),
            "gaps": sum(v.gaps for v in viewers),
            "dupes": sum(v.dupes for v in viewers),
            "errors": sum(v.errors for v in viewers),
            "closed": sum(v.closed for v in viewers),
            "reconnects": sum(v.reconnects for v in viewers),
            "reconnected_viewers": sum(1 for v in viewers if v.reconnects),
            "resumed": sum(v.resumed for v in viewers),
            "snapshots": sum(v.snapshots for v in viewers),
            "reconnect_failures": sum(v.reconnect_failures for v in viewers),
            "last_reconnect_at": max(
                (v.reconnected_at for v in viewers if v.reconnected_at), default=None
            ),
            "client_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        }
        # Written once, at the end, when nothing else runs on the loop.
        Path(self.config["out"]).write_text(json.dumps(results), encoding="utf-8")  # noqa: ASYNC240


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def main() -> None:
    config = json.loads(sys.argv[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, int(config["viewers"]) + 512))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    asyncio.run(LoadClient(config).run())


if __name__ == "__main__":
    main()
