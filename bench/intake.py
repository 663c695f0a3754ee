"""Question intake under load: citizens post questions to the JSON API at a steady rate
(250/s by default; the target is 200/s accepted) from a separate process while N viewers
(5,000; quick 1,000) follow the dialogue, and a moderator approves one question per second.
Every accepted question must be committed (none lost), and every approval must reach every
viewer within the fan-out's latency bound.

Run once per server shape in `--intake-processes` (default 1 and 2): one daphne process, then
two sharing Redis with the viewers and the posting threads split between them (the production
shape: one process per core behind the proxy).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import time
import uuid
from typing import Any

from bench.common import HOST, PYTHON, ROOT, cpu_seconds, fmt, latency_summary, log_path, table
from bench.live import (
    ClientGroup,
    LineReader,
    Server,
    approve,
    consult_start,
    deliveries,
    dialogue_make,
)


def run(args: argparse.Namespace) -> dict[str, Any]:
    counts = [int(c) for c in str(args.intake_processes).split(",") if c.strip()]
    results = [run_one(args, processes) for processes in counts]
    return {"results": results}


def run_one(args: argparse.Namespace, processes: int) -> dict[str, Any]:
    n = args.intake_viewers or (1000 if args.quick else 5000)
    seconds = args.intake_seconds or (5 if args.quick else 10)
    rate = args.intake_rate
    kind = args.servers[0]
    data = dialogue_make(int(seconds) + 2)
    tag = f"intake-{uuid.uuid4().hex[:8]}"
    servers: list[Server] = []
    clients: ClientGroup | None = None
    load: subprocess.Popen[str] | None = None
    try:
        servers = [consult_start(kind) for _ in range(processes)]
        clients = ClientGroup.start(servers, data.slug, n)
        connected = clients.wait_connected(timeout=180)
        time.sleep(1.0)
        cpu_before = sum(cpu_seconds(server.pid) for server in servers)
        config = {
            "host": HOST,
            "ports": [server.port for server in servers],
            "path": f"/api/v1/dialogues/{data.slug}/questions",
            "rate": rate,
            "seconds": seconds,
            "threads": args.intake_threads,
            "tag": tag,
        }
        load = subprocess.Popen(
            [PYTHON, "-m", "bench.httpload", json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log_path("httpload").open("w"),
            text=True,
        )
        reader = LineReader(load)
        commits: dict[int, float] = {}
        started = time.monotonic()
        for i, qid in enumerate(data.pending[: int(seconds)]):
            wait = started + 0.5 + i - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            commits[qid] = approve(data, qid)
        outcome = reader.json(seconds * 4 + 60)
        cpu_used = sum(cpu_seconds(server.pid) for server in servers) - cpu_before
        clients.wait_received(len(commits) * connected["connected"], 30)
        results = clients.stop()
    finally:
        if load is not None and load.poll() is None:
            load.kill()
        if clients is not None:
            clients.kill()
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()

    from livechat.models import Question

    committed_ids = set(
        Question.objects.filter(
            dialogue_id=data.dialogue_id, request_id__startswith=tag
        ).values_list("pk", flat=True)
    )
    accepted_ids = set(outcome.pop("accepted_ids"))
    figures = deliveries(results, commits)
    expected = len(commits) * connected["connected"]
    result = {
        "server": kind,
        "processes": processes,
        "viewers": connected["connected"],
        "offered_rate": rate,
        "seconds": seconds,
        "http": outcome,
        "committed": len(committed_ids),
        "accepted_not_committed": len(accepted_ids - committed_ids),
        "server_cpu_seconds": round(cpu_used, 2),
        "approvals": len(commits),
        "expected": expected,
        "delivered": figures["delivered"],
        "lost": expected - figures["delivered"],
        "latency_ms": latency_summary(figures["latencies"]),
    }
    http = result["http"]
    rows = [
        ("viewers connected", f"{result['viewers']:,}"),
        ("questions offered", f"{http['offered']:,} at {rate:g}/s for {seconds:g} s"),
        ("accepted (201)", f"{http['accepted']:,}, {fmt(http['accepted_per_s'])}/s"),
        (
            "other answers",
            ", ".join(f"{k}: {v}" for k, v in http["statuses"].items() if k != "201") or "none",
        ),
        (
            "committed / accepted but missing",
            f"{result['committed']:,} / {result['accepted_not_committed']}",
        ),
        (
            "request latency p50 / p99 / max",
            " / ".join(fmt(http["latency_ms"][k]) for k in ("p50", "p99", "max")) + " ms",
        ),
        ("approvals delivered", f"{result['delivered']:,} / {expected:,}"),
        (
            "approval latency p50 / p99 / max",
            " / ".join(fmt(result["latency_ms"][k]) for k in ("p50", "p99", "max")) + " ms",
        ),
        ("server CPU during the load", f"{result['server_cpu_seconds']} s"),
        (
            "server CPU per question",
            f"{fmt(result['server_cpu_seconds'] * 1000 / max(1, http['offered']))} ms",
        ),
    ]
    print(table(["intake", f"{kind} ×{processes}"], rows))
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--intake-viewers", type=int, help="viewers (default 5000, quick 1000)")
    parser.add_argument("--intake-rate", type=float, default=250.0, help="questions offered per s")
    parser.add_argument(
        "--intake-seconds", type=float, help="seconds of load (default 10, quick 5)"
    )
    parser.add_argument("--intake-threads", type=int, default=32)
    parser.add_argument(
        "--intake-processes",
        default="1,2",
        help="server processes, one run per comma-separated count (default 1,2)",
    )
