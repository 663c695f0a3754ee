"""How many public viewers one daphne process holds on one dialogue, and how fast an approved
question reaches all of them.

    python bench/viewers_check.py [--viewers 2000] [--events 10] [--interval 1.0]

Starts one daphne process on a free port of 127.0.0.1 (SQLite in a scratch folder under /tmp,
or the database in DATABASE_URL; the in-memory channel layer, or Redis when REDIS_URL is set),
creates a live dialogue with pending questions, connects N public viewers with `websockets`
and one moderator, then the moderator approves K questions over its socket, one every
`--interval` seconds. Every viewer should receive every `question.published` frame.

Measured: delivered / expected frames; latency from the approval's commit (the frame's
`published_at`, stamped in the same transaction, same clock) to receipt, p50 / p99 / max over
every delivery; latency from the moderator's click; connect time; the server's CPU time per
delivered frame (from /proc). The viewers run in this one process, so at large N their own
reading adds to the measured latency: figures are an upper bound for the server.

Talks only to 127.0.0.1; every loop is bounded in count and time. Prints a table and writes
bench/results/viewers_check.json. With DATABASE_URL set, the bench's dialogue, questions and
accounts stay in that database (their slugs and usernames start with "bench-").
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import resource
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"


def setup_django(scratch: Path | None, prefix: str) -> None:
    if scratch is not None:
        os.environ["DATABASE_URL"] = f"sqlite:///{scratch}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "consult.settings.dev"
    os.environ["DEBUG"] = "0"
    os.environ["CHANNEL_PREFIX"] = prefix
    os.environ["ALLOWED_HOSTS"] = f"{HOST},localhost,testserver"
    os.environ["SUBMISSIONS_PER_IP_PER_HOUR"] = "0"  # 0 disables the limit
    os.environ["SUBMISSIONS_PER_CONTACT_PER_HOUR"] = "0"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def make_data(n_questions: int) -> dict[str, Any]:
    from django.test import Client
    from django.utils import timezone

    from consult.models import Agency, Leader, User
    from livechat import services
    from livechat.models import Dialogue

    tag = uuid.uuid4().hex[:8]
    agency = Agency.objects.create(code=f"bench-{tag}", name="Ủy ban nhân dân tỉnh (bench)")
    chair = Leader.objects.create(name="Nguyễn Văn Hùng", title="Chủ tịch UBND tỉnh", agency=agency)
    moderator = User.objects.create_user(
        username=f"bench-{tag}", password=uuid.uuid4().hex, role="moderator"
    )
    now = timezone.now()
    dialogue = Dialogue.objects.create(
        slug=f"bench-{tag}",
        topic="Đối thoại đo tải: giải phóng mặt bằng đường vành đai",
        host_agency=agency,
        chair=chair,
        starts_at=now - dt.timedelta(minutes=5),
        ends_at=now + dt.timedelta(hours=2),
        status=Dialogue.Status.LIVE,
    )
    question_ids = []
    for i in range(n_questions):
        question, _ = services.question_submit(
            dialogue_id=dialogue.pk,
            asker_name="Trần Thị Bình",
            locality="Phường Tân Phong",
            email=f"bench{i}@example.vn",
            body=f"Câu hỏi đo tải số {i}: khi nào nhận tiền bồi thường đất nông nghiệp?",
            consent=True,
            request_id=f"bench-{tag}-{i}",
        )
        question_ids.append(question.pk)
    client = Client()
    client.force_login(moderator)
    return {
        "slug": dialogue.slug,
        "question_ids": question_ids,
        "cookie": client.cookies["sessionid"].value,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(port: int, log: Path) -> subprocess.Popen[bytes]:
    from django.conf import settings

    env = {**os.environ, "SECRET_KEY": settings.SECRET_KEY, "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(port), "asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"daphne exited:\n{log.read_text()}")
        with socket.socket() as s:
            if s.connect_ex((HOST, port)) == 0:
                return process
        time.sleep(0.1)
    process.terminate()
    raise SystemExit("daphne did not start within 30 s")


def parse_time(value: str) -> float:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Viewer:
    def __init__(self) -> None:
        self.received: dict[int, float] = {}  # question id -> wall-clock receipt time
        self.published_at: dict[int, float] = {}
        self.errors = 0


async def viewer_run(ws: Any, viewer: Viewer, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            text = await asyncio.wait_for(ws.recv(), 1.0)
        except TimeoutError:
            continue
        except Exception:
            viewer.errors += 1
            return
        now = time.time()
        frame = json.loads(text)
        if frame.get("type") == "event" and frame.get("event") == "question.published":
            question = frame["data"]["question"]
            viewer.received[question["id"]] = now
            viewer.published_at[question["id"]] = parse_time(question["published_at"])


async def run(args: argparse.Namespace, port: int, data: dict[str, Any]) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    url = f"ws://{HOST}:{port}/ws/dialogues/{data['slug']}/"
    origin = f"http://{HOST}:{port}"
    stop = asyncio.Event()
    viewers: list[Viewer] = []
    sockets: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    gate = asyncio.Semaphore(args.connect_concurrency)
    failed_connects = 0

    async def open_viewer() -> None:
        nonlocal failed_connects
        async with gate:
            try:
                ws = await connect(
                    url, origin=origin, open_timeout=30, ping_interval=None, max_queue=None
                )
                first = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if first["type"] != "snapshot":
                    raise ValueError(first)
            except Exception:
                failed_connects += 1
                return
        viewer = Viewer()
        viewers.append(viewer)
        sockets.append(ws)
        tasks.append(asyncio.create_task(viewer_run(ws, viewer, stop)))

    started = time.monotonic()
    await asyncio.gather(*(open_viewer() for _ in range(args.viewers)))
    connect_seconds = time.monotonic() - started

    moderator = await connect(
        url, origin=origin, additional_headers={"Cookie": f"sessionid={data['cookie']}"}
    )
    if json.loads(await moderator.recv()).get("role") != "staff":
        raise SystemExit("the moderator's session was not recognised")
    await asyncio.sleep(1.0)  # let the connect burst settle before measuring

    cpu_before = cpu_seconds(args.server_pid)
    clicks: dict[int, float] = {}
    for question_id in data["question_ids"]:
        clicks[question_id] = time.time()
        await moderator.send(
            json.dumps(
                {"type": "approve", "request_id": str(question_id), "question_id": question_id}
            )
        )
        while True:  # the ack (staff event frames are skipped)
            reply = json.loads(await asyncio.wait_for(moderator.recv(), 30))
            if reply["type"] in ("ack", "error"):
                break
        if reply["type"] == "error":
            raise SystemExit(f"approve failed: {reply}")
        await asyncio.sleep(args.interval)

    expected = len(viewers) * len(data["question_ids"])
    deadline = time.monotonic() + args.drain_seconds
    while time.monotonic() < deadline:
        if sum(len(v.received) for v in viewers) >= expected:
            break
        await asyncio.sleep(0.1)
    cpu_used = cpu_seconds(args.server_pid) - cpu_before

    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    await moderator.close()

    from_commit = [(v.received[q] - v.published_at[q]) * 1000 for v in viewers for q in v.received]
    from_click = [(v.received[q] - clicks[q]) * 1000 for v in viewers for q in v.received]
    delivered = sum(len(v.received) for v in viewers)
    per_event = []
    for q in data["question_ids"]:
        lat = [(v.received[q] - v.published_at[q]) * 1000 for v in viewers if q in v.received]
        per_event.append(
            {
                "delivered": len(lat),
                "p50": _round(percentile(lat, 0.5)),
                "max": _round(max(lat, default=None)),
            }
        )
    return {
        "viewers_requested": args.viewers,
        "viewers_connected": len(viewers),
        "connect_failures": failed_connects,
        "connect_seconds": round(connect_seconds, 2),
        "events": len(data["question_ids"]),
        "interval_seconds": args.interval,
        "expected": expected,
        "delivered": delivered,
        "delivered_ratio": round(delivered / expected, 4) if expected else None,
        "viewer_errors": sum(v.errors for v in viewers),
        "latency_from_commit_ms": {
            "p50": _round(percentile(from_commit, 0.5)),
            "p99": _round(percentile(from_commit, 0.99)),
            "max": _round(max(from_commit, default=None)),
        },
        "latency_from_click_ms": {
            "p50": _round(percentile(from_click, 0.5)),
            "p99": _round(percentile(from_click, 0.99)),
            "max": _round(max(from_click, default=None)),
        },
        "latency_from_commit_per_event_ms": per_event,
        "server_cpu_seconds": round(cpu_used, 3),
        "server_cpu_us_per_delivery": round(cpu_used / delivered * 1e6, 1) if delivered else None,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--viewers", type=int, default=2000)
    parser.add_argument("--events", type=int, default=10)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between approvals")
    parser.add_argument("--connect-concurrency", type=int, default=200)
    parser.add_argument("--drain-seconds", type=float, default=30.0)
    args = parser.parse_args()
    if not 1 <= args.viewers <= 20_000 or not 1 <= args.events <= 1000:
        parser.error("--viewers must be 1..20000 and --events 1..1000")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, max(soft, 2 * args.viewers + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted < 2 * args.viewers + 256:
        print(f"warning: open-file limit {wanted} may be too low for {args.viewers} viewers")

    scratch_dir = None
    scratch = None
    if not os.environ.get("DATABASE_URL"):
        scratch_dir = tempfile.TemporaryDirectory(prefix="consult-bench-")
        scratch = Path(scratch_dir.name) / "bench.sqlite3"
    setup_django(scratch, prefix=f"consult-bench-{uuid.uuid4().hex[:8]}")
    data = make_data(args.events)

    port = free_port()
    log = Path(tempfile.gettempdir()) / f"consult-bench-daphne-{port}.log"
    server = start_server(port, log)
    args.server_pid = server.pid
    try:
        result = asyncio.run(run(args, port, data))
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
        if scratch_dir is not None:
            scratch_dir.cleanup()

    from django.conf import settings

    result = {
        "bench": "viewers_check",
        "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "server": "daphne, 1 process",
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "channel_layer": settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1],
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        **result,
    }
    rows = [
        ("viewers connected", f"{result['viewers_connected']} / {result['viewers_requested']}"),
        ("connect time", f"{result['connect_seconds']} s"),
        ("events", f"{result['events']}, one every {result['interval_seconds']} s"),
        (
            "delivered",
            f"{result['delivered']} / {result['expected']} ({result['delivered_ratio']})",
        ),
        ("latency from commit p50 / p99 / max", _ms(result["latency_from_commit_ms"])),
        ("latency from click p50 / p99 / max", _ms(result["latency_from_click_ms"])),
        ("server CPU per delivery", f"{result['server_cpu_us_per_delivery']} µs"),
        ("database / channel layer", f"{result['database']} / {result['channel_layer']}"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label.ljust(width)}  {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "viewers_check.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written to {out.relative_to(ROOT)}")


def _ms(figures: dict[str, float | None]) -> str:
    return " / ".join("-" if v is None else f"{v:.0f}" for v in figures.values()) + " ms"


if __name__ == "__main__":
    main()
