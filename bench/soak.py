"""Soak: many public viewers that keep leaving and coming back (`?after=`) for minutes while
the dialogue goes on; at the end, memory, Redis keys and lost items.

    python bench/soak.py [--clients 500] [--minutes 10] [--rate 2] [--quick]

`--quick` is a 1-minute run. Starts one daphne process on a free port of 127.0.0.1 with Redis
(REDIS_URL, default redis://127.0.0.1:6379/0, under a fresh channel prefix) and the database
in DATABASE_URL (or a scratch SQLite file under /tmp). A producer thread in this process makes
the dialogue move at `--rate` events per second through the services (questions submitted and
approved, supports, answers); the doorbells reach the server through Redis. Each viewer stays
connected for a random while (exponential, mean `--hold` seconds), closes, waits 0.1–2 s and
reconnects with `?after=<last seq>` (a fresh snapshot when it has fallen too far behind); a
refused or timed-out connection is retried after a growing, jittered delay (1 s, 2 s, 4 s…
up to 30 s), as the page's script does.

Every 10 s it samples the server's RSS (/proc), Redis DBSIZE and the keys under the run's
prefixes (SCAN), and the reconnections so far. At the end the producer stops, every viewer
catches up, and each viewer's assembled state (question ids, answer ids, support counts) is
compared with the database's public state: any difference is a lost (or extra) item.

Talks only to 127.0.0.1; every loop is bounded in count and time. Prints a table and writes
bench/results/soak.json (soak-quick.json for --quick).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    django_setup,
    free_port,
    process_stop,
    rss_mb,
    server_start,
)
from bench.live import dialogue_live_create  # noqa: E402

RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
SAMPLE_SECONDS = 10.0


# --- setup -------------------------------------------------------------------------------------


def make_data() -> dict[str, Any]:
    _tag, dialogue, moderator, chair = dialogue_live_create("soak")
    return {"dialogue": dialogue, "moderator": moderator, "chair": chair}


def redis_keys(redis_url: str, prefixes: list[str]) -> dict[str, int]:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        counts = {"dbsize": int(client.dbsize())}
        for prefix in prefixes:
            counts[prefix] = sum(1 for _ in client.scan_iter(match=f"{prefix}*", count=1000))
        return counts
    finally:
        client.close()


# --- the dialogue moving -----------------------------------------------------------------------


def produce(data: dict[str, Any], rate: float, stop: threading.Event, counts: dict[str, int]):
    """Events at `rate` per second through the services, until `stop`."""
    from django.db import connection

    from livechat import services

    dialogue, moderator, chair = data["dialogue"], data["moderator"], data["chair"]
    published: list[int] = []
    n = 0
    try:
        while not stop.is_set():
            started = time.monotonic()
            n += 1
            kind = n % 5
            if kind in (0, 1) or not published:
                question, _ = services.question_submit(
                    dialogue_id=dialogue.pk,
                    asker_name="Trần Thị Bình",
                    locality="Phường Tân Phong",
                    email=f"soak{n}@example.vn",
                    body=f"Câu hỏi thử bền số {n}: khi nào nhận tiền bồi thường?",
                    consent=True,
                    request_id=f"soak-{n}",
                )
                services.question_approve(actor=moderator, question_id=question.pk)
                published.append(question.pk)
                counts["events"] += 2
            elif kind in (2, 3):
                services.question_upvote(
                    question_id=random.choice(published), voter_token=f"soak-voter-{n}"
                )
                counts["events"] += 1
            else:
                services.answer_post(
                    actor=moderator,
                    question_id=random.choice(published),
                    body=f"Trả lời số {n}: tỉnh sẽ chi trả trong quý này.",
                    leader_id=chair.pk,
                    request_id=f"soak-answer-{n}",
                )
                counts["events"] += 1
            stop.wait(max(0.0, 1.0 / rate - (time.monotonic() - started)))
    finally:
        connection.close()


def truth(dialogue_id: int) -> tuple[int, dict[int, tuple[tuple[int, ...], int]]]:
    from livechat import selectors
    from livechat.models import Dialogue

    dialogue = Dialogue.objects.get(pk=dialogue_id)
    snapshot = selectors.snapshot_build(dialogue=dialogue, audience=selectors.PUBLIC)
    return int(snapshot["seq"]), state_of(snapshot["questions"])


def state_of(questions: Any) -> dict[int, tuple[tuple[int, ...], int]]:
    return {
        int(q["id"]): (tuple(sorted(int(a["id"]) for a in q.get("answers", []))), q["upvote_count"])
        for q in questions
    }


# --- viewers -----------------------------------------------------------------------------------


class Viewer:
    """One public page: assembles the dialogue from its snapshot and events by id."""

    def __init__(self, url: str, origin: str) -> None:
        self.url, self.origin = url, origin
        self.seq: int | None = None
        self.questions: dict[int, dict[str, Any]] = {}
        self.connects = self.snapshots = self.resumes = self.errors = 0
        self.error_kinds: dict[str, int] = {}
        self.gaps = self.duplicates = 0

    def apply(self, frame: dict[str, Any]) -> bool:
        """Apply one frame; False on a gap (reconnect)."""
        kind = frame.get("type")
        if kind == "snapshot":
            self.snapshots += 1
            self.seq = frame["seq"]
            self.questions = {q["id"]: q for q in frame["questions"]}
            return True
        if kind == "resumed":
            self.resumes += 1
            return True
        if kind != "event" or self.seq is None:
            return True
        if frame["seq"] <= self.seq:
            self.duplicates += 1
            return True
        if frame["seq"] != self.seq + 1:
            self.gaps += 1
            return False
        self.seq = frame["seq"]
        event, data = frame["event"], frame["data"]
        if "question" in data and event != "question.merged":
            self.questions[data["question"]["id"]] = data["question"]
        if event == "question.rejected" and "question_id" in data:
            self.questions.pop(data["question_id"], None)
        elif event == "question.merged":
            for merged in data.get("merged_ids", []):
                self.questions.pop(merged, None)
            if "question" in data:
                self.questions[data["question"]["id"]] = data["question"]
        elif event == "question.upvoted" and data["question_id"] in self.questions:
            self.questions[data["question_id"]]["upvote_count"] = data["upvote_count"]
        elif event == "answer.posted" and data["question_id"] in self.questions:
            question = self.questions[data["question_id"]]
            answers = {a["id"]: a for a in question.get("answers", [])}
            answers[data["answer"]["id"]] = data["answer"]
            question["answers"] = list(answers.values())
        return True

    async def session(self, until: float, hold: float) -> bool:
        """One connection: open (resuming if it can), read for a random while, close.
        False if it could not connect."""
        import websockets

        query = f"?after={self.seq}&audience=public" if self.seq is not None else ""
        loop = asyncio.get_running_loop()
        leave_at = min(until, loop.time() + random.expovariate(1 / hold))
        try:
            async with websockets.connect(
                self.url + query, origin=self.origin, open_timeout=20, ping_interval=None
            ) as ws:
                self.connects += 1
                while loop.time() < leave_at:
                    try:
                        raw = await asyncio.wait_for(ws.recv(), max(0.01, leave_at - loop.time()))
                    except TimeoutError:
                        break
                    if not self.apply(json.loads(raw)):
                        break
            return True
        except (OSError, TimeoutError, websockets.WebSocketException) as error:
            self.error_note(error)
            return False

    def error_note(self, error: BaseException) -> None:
        """Count a failed or broken connection by kind (a close code says who ended it)."""
        self.errors += 1
        code = getattr(getattr(error, "rcvd", None), "code", None)
        kind = type(error).__name__ + (f" {code}" if code is not None else "")
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1

    async def run(self, until: float, hold: float) -> None:
        loop = asyncio.get_running_loop()
        # Viewers arrive over the first half-minute, not all in the same second.
        await asyncio.sleep(random.uniform(0, min(30.0, hold)))
        backoff = 1.0
        while loop.time() < until:
            if await self.session(until, hold):
                backoff = 1.0
                await asyncio.sleep(random.uniform(0.1, 2.0))
            else:
                # What the page's script does (docs/protocol.md): a growing, jittered delay.
                await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
                backoff = min(backoff * 2, 30.0)

    async def catch_up(self, last: int, wait: float) -> None:
        """Connect (resuming) and read until `last`, the database's last public seq."""
        import websockets

        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        backoff = 1.0
        await asyncio.sleep(random.uniform(0, 5))
        while loop.time() < deadline and self.seq != last:
            query = f"?after={self.seq}&audience=public" if self.seq is not None else ""
            try:
                async with websockets.connect(
                    self.url + query, origin=self.origin, open_timeout=20, ping_interval=None
                ) as ws:
                    self.connects += 1
                    while self.seq != last and loop.time() < deadline:
                        frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                        if not self.apply(frame):
                            break
            except (OSError, TimeoutError, websockets.WebSocketException) as error:
                self.error_note(error)
                await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
                backoff = min(backoff * 2, 30.0)


# --- the run -----------------------------------------------------------------------------------


async def soak(args: argparse.Namespace, port: int, pid: int, data: dict[str, Any]) -> dict:
    from asgiref.sync import sync_to_async

    dialogue = data["dialogue"]
    url = f"ws://{HOST}:{port}/ws/dialogues/{dialogue.slug}/"
    viewers = [Viewer(url, f"http://{HOST}:{port}") for _ in range(args.clients)]
    loop = asyncio.get_running_loop()
    duration = args.minutes * 60
    until = loop.time() + duration
    stop = threading.Event()
    counts = {"events": 0}
    producer = threading.Thread(target=produce, args=(data, args.rate, stop, counts), daemon=True)
    # The bench gives the channel layer and the cache one prefix: count each key once.
    prefixes = sorted({os.environ["CHANNEL_PREFIX"], os.environ["CACHE_PREFIX"]})
    samples: list[dict[str, Any]] = []

    async def sample() -> None:
        started = loop.time()
        while True:
            keys = await asyncio.to_thread(redis_keys, os.environ["REDIS_URL"], prefixes)
            samples.append(
                {
                    "t": round(loop.time() - started, 1),
                    "rss_mb": round(rss_mb(pid), 1),
                    "redis_dbsize": keys["dbsize"],
                    "redis_keys_run": sum(keys[p] for p in prefixes),
                    "events": counts["events"],
                    "connects": sum(v.connects for v in viewers),
                }
            )
            s = samples[-1]
            print(
                f"  t={s['t']:>6.0f}s rss={s['rss_mb']:>7.1f} MB redis keys={s['redis_keys_run']:>5}"
                f" (dbsize {s['redis_dbsize']}) events={s['events']:>6} connects={s['connects']}",
                flush=True,
            )
            await asyncio.sleep(SAMPLE_SECONDS)

    rss_start = rss_mb(pid)
    producer.start()
    sampler = asyncio.create_task(sample())
    await asyncio.gather(*(v.run(until, args.hold) for v in viewers))
    stop.set()
    await asyncio.to_thread(producer.join, 30)
    last, expected = await sync_to_async(truth)(dialogue.pk)
    await asyncio.gather(*(v.catch_up(last, 180) for v in viewers))
    sampler.cancel()
    keys_end = await asyncio.to_thread(redis_keys, os.environ["REDIS_URL"], prefixes)
    # Give channels-redis its expiry (60 s) to forget the channels of closed sockets? The
    # figure below is what is left right after the run; the hub's own keys are a handful.
    lost = []
    for n, viewer in enumerate(viewers):
        got = state_of(viewer.questions.values())
        if got != expected or viewer.seq != last:
            missing = set(expected) - set(got)
            wrong = {q for q in set(expected) & set(got) if expected[q] != got[q]}
            lost.append({"viewer": n, "missing_questions": len(missing), "differing": len(wrong)})
    rss = [s["rss_mb"] for s in samples] or [rss_mb(pid)]
    return {
        "clients": args.clients,
        "minutes": args.minutes,
        "rate_events_per_s": args.rate,
        "events": counts["events"],
        "public_seq_end": last,
        "published_questions": len(expected),
        "connections": sum(v.connects for v in viewers),
        "resumed": sum(v.resumes for v in viewers),
        "snapshots": sum(v.snapshots for v in viewers),
        "connect_errors": sum(v.errors for v in viewers),
        "connect_error_kinds": dict(
            collections.Counter(
                kind for v in viewers for kind, n in v.error_kinds.items() for _ in range(n)
            )
        ),
        "gaps": sum(v.gaps for v in viewers),
        "duplicates": sum(v.duplicates for v in viewers),
        "viewers_with_lost_items": len(lost),
        "lost_detail": lost[:20],
        "rss_mb_start": round(rss_start, 1),
        "rss_mb_end": round(rss_mb(pid), 1),
        "rss_mb_max": round(max(rss), 1),
        "rss_mb_median": round(statistics.median(rss), 1),
        "redis_keys_run_end": sum(keys_end[p] for p in prefixes),
        "redis_keys_run_max": max((s["redis_keys_run"] for s in samples), default=0),
        "redis_dbsize_end": keys_end["dbsize"],
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=2.0, help="events per second")
    parser.add_argument("--hold", type=float, default=30.0, help="mean seconds connected")
    parser.add_argument("--quick", action="store_true", help="a 1-minute run")
    args = parser.parse_args()
    if args.quick:
        args.minutes = 1.0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 65536)), hard))

    # DATABASE_URL when set, else a scratch SQLite file; REDIS_URL or the local Redis, under a
    # fresh channel and cache prefix (bench.common.django_setup).
    chosen = django_setup("env" if os.environ.get("DATABASE_URL") else "sqlite")
    data = make_data()
    port = free_port()
    process = server_start("daphne", port)
    log = process.log  # type: ignore[attr-defined]
    print(
        f"soak: {args.clients} viewers reconnecting for {args.minutes:g} min at "
        f"{args.rate:g} events/s; daphne pid {process.pid} on port {port}; log {log}",
        flush=True,
    )
    try:
        result = asyncio.run(soak(args, port, process.pid, data))
    finally:
        process_stop(process)
    result.update(
        {
            "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": chosen["database"],
            "server": "daphne (python -m consult.server), 1 process, Redis channel layer",
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_end": os.getloadavg(),
        }
    )
    rows = [
        ("viewers", result["clients"]),
        ("duration (min)", result["minutes"]),
        ("events committed", result["events"]),
        ("connections opened", result["connections"]),
        ("  resumed with ?after=", result["resumed"]),
        ("  fresh snapshots", result["snapshots"]),
        ("  connect errors", result["connect_errors"]),
        ("  by kind", ", ".join(f"{k}: {n}" for k, n in result["connect_error_kinds"].items()) or "-"),
        ("gaps / duplicates seen", f"{result['gaps']} / {result['duplicates']}"),
        ("viewers with lost items", result["viewers_with_lost_items"]),
        ("daphne RSS start / max / end (MB)", "{} / {} / {}".format(
            result["rss_mb_start"], result["rss_mb_max"], result["rss_mb_end"])),
        ("Redis keys of the run: max / end", "{} / {}".format(
            result["redis_keys_run_max"], result["redis_keys_run_end"])),
        ("Redis DBSIZE at the end", result["redis_dbsize_end"]),
    ]  # fmt: skip
    width = max(len(label) for label, _ in rows)
    print()
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "soak-quick.json" if args.quick else "soak.json"
    (RESULTS / name).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to bench/results/{name}")
    if result["viewers_with_lost_items"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
