"""Fan-out: 1 event per second broadcast to N viewers of one dialogue, Consult's path next to a
plain `websockets` server broadcasting itself, in the same run.

For each N: the reference (bench/refserver.py), one daphne process + Redis, optionally one
uvicorn process + Redis (the same asgi:application), and two daphne processes sharing Redis
with the viewers split between them. The viewers are load-client processes
(bench/loadclient.py, the `websockets` library). The producer is the moderator's approval
service call in this process; its return time (after commit and the doorbell) is matched by
question id with every viewer's receipt time (one machine, one clock).

Reported per configuration: delivered vs expected, latency from commit to receipt
p50/p95/p99/max and to the last viewer of each event, server CPU per delivery (utime + stime
from /proc ÷ deliveries) and its ratio to the reference, connection memory per viewer (RSS
delta ÷ viewers), connect time.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from bench.common import fmt, latency_summary, median, rnd, rss_mb, table
from bench.live import (
    ClientGroup,
    LiveData,
    Server,
    approve,
    consult_start,
    cpu_mark,
    cpu_used,
    deliveries,
    dialogue_make,
    reference_start,
    warm_up,
)


def run_one(
    kind: str,
    processes: int,
    n: int,
    *,
    events: int,
    interval: float,
    drain: float,
    concurrency: int = 50,
) -> dict[str, Any]:
    """One configuration: start the server(s), connect N viewers, broadcast, measure."""
    data: LiveData = dialogue_make(events)
    servers: list[Server] = []
    clients: ClientGroup | None = None
    try:
        if kind == "websockets":
            servers = [reference_start(data.frame_bytes)]
        else:
            servers = [consult_start(kind) for _ in range(processes)]
        for server in servers:
            warm_up(server, data)
        clients = ClientGroup.start(servers, data.slug, n, concurrency=concurrency)
        connected = clients.wait_connected(timeout=max(120.0, n / 15))
        time.sleep(2.0)  # let the connect burst settle (and its garbage be collected)
        rss_after = [rss_mb(s.pid) for s in servers]
        cpu_mark(servers)
        commits: dict[int, float] = {}
        started = time.monotonic()
        for i in range(events):
            wait = started + i * interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            if kind == "websockets":
                qid = 1_000_000 + i
                reader = servers[0].reader
                if reader is None:
                    raise RuntimeError("the reference server has no control pipe")
                reader.send(f"event {qid} {i + 1}")
                commits[qid] = reader.json(30)["at"]
            else:
                qid = data.pending[i]
                commits[qid] = approve(data, qid)
        expected = connected["connected"] * events
        clients.wait_received(expected, drain)
        cpu = [cpu_used(s) for s in servers]
        results = clients.stop()
    finally:
        if clients is not None:
            clients.kill()
        for server in servers:
            with contextlib.suppress(Exception):
                server.stop()

    figures = deliveries(results, commits)
    delivered = figures["delivered"]
    per_process = []
    for index, server in enumerate(servers):
        mine = [r for r, s in zip(results, clients.server_of, strict=True) if s == index]
        process_delivered = deliveries(mine, commits)["delivered"]
        viewers = sum(r.get("viewers", 0) for r in mine)
        per_process.append(
            {
                "viewers": viewers,
                "deliveries": process_delivered,
                "cpu_seconds": round(cpu[index], 3),
                "cpu_us_per_delivery": rnd(cpu[index] / process_delivered * 1e6)
                if process_delivered
                else None,
                "rss_mb_before": round(server.rss_before, 1),
                "rss_mb_after": round(rss_after[index], 1),
                "kb_per_viewer": rnd((rss_after[index] - server.rss_before) * 1024 / viewers)
                if viewers
                else None,
            }
        )
    return {
        "server": kind,
        "processes": len(servers),
        "viewers": n,
        "connected": connected["connected"],
        "connect_failures": connected["failed"],
        "connect_errors": connected["errors"],
        "connect_seconds": connected["seconds"],
        "events": events,
        "interval_seconds": interval,
        "frame_bytes": data.frame_bytes,
        "expected": expected,
        "delivered": delivered,
        "lost": expected - delivered,
        "latency_ms": latency_summary(figures["latencies"]),
        "last_viewer_ms": {
            "p50": rnd(median(figures["per_event_max"])),
            "max": rnd(max(figures["per_event_max"], default=None)),
        },
        "cpu_us_per_delivery": rnd(sum(cpu) / delivered * 1e6) if delivered else None,
        "kb_per_viewer": rnd(
            sum((a - s.rss_before) * 1024 for a, s in zip(rss_after, servers, strict=True))
            / max(1, connected["connected"])
        ),
        "per_process": per_process,
        "client": {
            "processes": len(results),
            "cpu_seconds": round(sum(r.get("client_cpu_seconds", 0) for r in results), 1),
            "gaps": sum(r.get("gaps", 0) for r in results),
            "dupes": sum(r.get("dupes", 0) for r in results),
            "errors": sum(r.get("errors", 0) for r in results),
            "closed": sum(r.get("closed", 0) for r in results),
        },
    }


def configurations(
    sizes: list[int], servers: list[str], two_process: bool
) -> list[tuple[str, int, int]]:
    rows = []
    for n in sizes:
        rows.append(("websockets", 1, n))
        for kind in servers:
            rows.append((kind, 1, n))
        if two_process:
            rows.append(("daphne", 2, n))
    return rows


def run(args: argparse.Namespace) -> dict[str, Any]:
    sizes = args.viewers or ([1000] if args.quick else [1000, 5000, 10000])
    events = args.events or (5 if args.quick else 10)
    rows: list[dict[str, Any]] = []
    for kind, processes, n in configurations(sizes, args.servers, not args.no_two_process):
        runs = []
        for attempt in range(args.repeat):
            label = f"{kind} ×{processes}, {n:,} viewers" + (
                f" (run {attempt + 1})" if args.repeat > 1 else ""
            )
            print(f"fanout: {label} …", flush=True)
            result = run_one(
                kind,
                processes,
                n,
                events=events,
                interval=args.interval,
                drain=args.drain,
                concurrency=args.connect_concurrency,
            )
            print(
                f"  delivered {result['delivered']:,}/{result['expected']:,}, p99 "
                f"{fmt(result['latency_ms']['p99'])} ms, CPU/delivery "
                f"{fmt(result['cpu_us_per_delivery'])} µs, {fmt(result['kb_per_viewer'])} KB/viewer, "
                f"connect {result['connect_seconds']} s",
                flush=True,
            )
            runs.append(result)
        row = dict(runs[-1])
        if len(runs) > 1:
            # Medians over the repeats for the noisy figures; every run stays in "runs".
            row["cpu_us_per_delivery"] = rnd(median(r["cpu_us_per_delivery"] or 0 for r in runs))
            row["latency_ms"] = {
                key: rnd(median(r["latency_ms"][key] or 0 for r in runs))
                for key in ("p50", "p95", "p99", "max")
            }
            row["runs"] = runs
        rows.append(row)

    for row in rows:
        reference = next(
            (r for r in rows if r["server"] == "websockets" and r["viewers"] == row["viewers"]),
            None,
        )
        if reference and reference["cpu_us_per_delivery"] and row["cpu_us_per_delivery"]:
            row["ratio_to_reference"] = round(
                row["cpu_us_per_delivery"] / reference["cpu_us_per_delivery"], 2
            )
    print()
    print(render(rows))
    return {"events": events, "interval_seconds": args.interval, "rows": rows}


def render(rows: list[dict[str, Any]]) -> str:
    headers = [
        "server",
        "viewers",
        "delivered",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "CPU µs/delivery",
        "× reference",
        "KB/viewer",
        "connect s",
    ]
    body = []
    for r in rows:
        label = r["server"] if r["server"] == "websockets" else f"{r['server']} ×{r['processes']}"
        per = r["per_process"]
        cpu = fmt(r["cpu_us_per_delivery"])
        if len(per) > 1:
            cpu += " (" + " / ".join(fmt(p["cpu_us_per_delivery"]) for p in per) + ")"
        body.append(
            [
                label,
                f"{r['viewers']:,}",
                f"{r['delivered']:,}/{r['expected']:,}",
                fmt(r["latency_ms"]["p50"]),
                fmt(r["latency_ms"]["p95"]),
                fmt(r["latency_ms"]["p99"]),
                fmt(r["latency_ms"]["max"]),
                cpu,
                fmt(r.get("ratio_to_reference")),
                fmt(r["kb_per_viewer"]),
                fmt(r["connect_seconds"]),
            ]
        )
    return table(headers, body)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--viewers",
        type=lambda s: [int(x) for x in s.split(",")],
        help="comma-separated sizes (default 1000,5000,10000; quick 1000)",
    )
    parser.add_argument("--events", type=int, help="events per configuration (default 10, quick 5)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between events")
    parser.add_argument("--drain", type=float, default=30.0, help="seconds to wait for stragglers")
    parser.add_argument(
        "--server",
        dest="servers",
        action="append",
        choices=["daphne", "daphne-stock", "uvicorn"],
        help=(
            "ASGI server(s) under test (repeatable; default daphne: `python -m consult.server`,"
            " daphne-stock: daphne's own command)"
        ),
    )
    parser.add_argument("--no-two-process", action="store_true", help="skip 2 daphne processes")
    parser.add_argument("--repeat", type=int, default=1, help="runs per configuration (medians)")
    parser.add_argument(
        "--connect-concurrency",
        type=int,
        default=50,
        help="sockets opening at once (daphne drops a handshake not accepted within 5 s)",
    )
