"""Connect storm and reconnect storm: N viewers (5,000; quick 1,000) connect to one daphne
process as fast as the load clients can open sockets (a dialogue starting), follow two
events, then the process is restarted while two more events are committed; every viewer
comes back with `?after=<seq>&audience=public` and a growing jittered delay
(docs/protocol.md), and must end with every event exactly once, in order, without falling
back to a fresh snapshot. Two more events after recovery check the live stream.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from typing import Any

from bench.common import fmt, latency_summary, table
from bench.live import (
    ClientGroup,
    Server,
    approve,
    consult_start,
    deliveries,
    dialogue_make,
)


def run(args: argparse.Namespace) -> dict[str, Any]:
    n = args.storm_viewers or (1000 if args.quick else 5000)
    kind = args.servers[0]
    data = dialogue_make(6)
    server: Server | None = None
    clients: ClientGroup | None = None
    try:
        server = consult_start(kind)
        port = server.port
        clients = ClientGroup.start(
            [server], data.slug, n, reconnect=True, concurrency=args.storm_concurrency
        )
        connected = clients.wait_connected(timeout=180)
        print(
            f"  {connected['connected']:,}/{n:,} connected in {connected['seconds']} s, "
            f"{connected['failed']} failed",
            flush=True,
        )
        commits: dict[int, float] = {}
        for qid in data.pending[:2]:
            commits[qid] = approve(data, qid)
            time.sleep(1.0)
        live_before = clients.wait_received(2 * connected["connected"], 30)

        # The restart: events are committed while no process serves the sockets.
        stopped_at = time.time()
        server.stop()
        for qid in data.pending[2:4]:
            commits[qid] = approve(data, qid)
        server = consult_start(kind, port)
        ready_at = time.time()
        deadline = time.monotonic() + args.storm_recover_seconds
        opened = 0
        while time.monotonic() < deadline:
            _, opened = clients.count()
            if opened >= connected["connected"]:
                break
            time.sleep(0.5)
        recovered_at = time.time()
        caught_up = clients.wait_received(4 * connected["connected"], 30)
        for qid in data.pending[4:6]:
            commits[qid] = approve(data, qid)
            time.sleep(1.0)
        final = clients.wait_received(6 * connected["connected"], 30)
        results = clients.stop()
    finally:
        if clients is not None:
            clients.kill()
        if server is not None:
            with contextlib.suppress(Exception):
                server.stop()

    from livechat.models import Dialogue

    last_public_seq = Dialogue.objects.get(pk=data.dialogue_id).last_public_seq
    final_seqs: dict[str, int] = {}
    for r in results:
        for seq, count in r.get("final_seq", {}).items():
            final_seqs[seq] = final_seqs.get(seq, 0) + count
    live_after = deliveries(results, {q: commits[q] for q in data.pending[4:6]})
    result = {
        "server": kind,
        "viewers": n,
        "connected": connected["connected"],
        "connect_failures": connected["failed"],
        "connect_errors": connected["errors"],
        "connect_seconds": connected["seconds"],
        "connect_ms_p50": connected["connect_ms_p50"],
        "connect_ms_p99": connected["connect_ms_p99"],
        "received_before_restart": live_before,
        "restart_seconds": round(ready_at - stopped_at, 2),
        "reopened": opened,
        "recovery_seconds": round(recovered_at - ready_at, 2),
        "last_reconnect_after_ready_s": round(
            max((r.get("last_reconnect_at") or ready_at) for r in results) - ready_at, 2
        ),
        "caught_up": caught_up,
        "delivered_total": final,
        "expected_total": 6 * connected["connected"],
        "lost": 6 * connected["connected"] - final,
        "resumed": sum(r.get("resumed", 0) for r in results),
        "fresh_snapshots_on_reconnect": sum(r.get("snapshots", 0) for r in results)
        - connected["connected"],
        "reconnects": sum(r.get("reconnects", 0) for r in results),
        "reconnect_attempts_failed": sum(r.get("reconnect_failures", 0) for r in results),
        "gaps": sum(r.get("gaps", 0) for r in results),
        "dupes": sum(r.get("dupes", 0) for r in results),
        "viewers_at_last_seq": final_seqs.get(str(last_public_seq), 0),
        "last_public_seq": last_public_seq,
        "latency_after_recovery_ms": latency_summary(live_after["latencies"]),
    }
    rows = [
        (
            "viewers connected",
            f"{result['connected']:,} / {n:,} ({result['connect_failures']} failed)",
        ),
        (
            "connect storm",
            f"{result['connect_seconds']} s (p50 {fmt(result['connect_ms_p50'])} ms, p99 {fmt(result['connect_ms_p99'])} ms per socket)",
        ),
        ("restart (stop → ready)", f"{result['restart_seconds']} s"),
        (
            "all reconnected after ready",
            f"{result['recovery_seconds']} s ({result['reopened']:,} open)",
        ),
        (
            "resumed with ?after= / fresh snapshots",
            f"{result['resumed']:,} / {result['fresh_snapshots_on_reconnect']:,}",
        ),
        ("failed reconnect attempts (server down)", f"{result['reconnect_attempts_failed']:,}"),
        (
            "events delivered",
            f"{result['delivered_total']:,} / {result['expected_total']:,} (gaps {result['gaps']}, duplicates {result['dupes']})",
        ),
        ("viewers at the last seq", f"{result['viewers_at_last_seq']:,} / {result['connected']:,}"),
        (
            "latency after recovery p50 / p99 / max",
            " / ".join(fmt(result["latency_after_recovery_ms"][k]) for k in ("p50", "p99", "max"))
            + " ms",
        ),
    ]
    print(table(["storm", kind], rows))
    return {"result": result}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--storm-viewers", type=int, help="viewers (default 5000, quick 1000)")
    parser.add_argument(
        "--storm-concurrency", type=int, default=200, help="sockets opening at once"
    )
    parser.add_argument("--storm-recover-seconds", type=float, default=120.0)
