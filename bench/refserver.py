"""The reference: a plain `websockets` server broadcasting frames itself, the machine's
practical limit for one Python process. Run by the fan-out benchmark
(`python -m bench.refserver --port P --frame-bytes B`), never by hand.

Each connection gets a small `snapshot` frame, then every broadcast. On stdin, a line
`event <question id> <seq>` builds one `question.published` frame of about B bytes (the size
of Consult's own frame) and hands it to `websockets.broadcast`; the server prints
`{"id": ..., "at": <time.time() just before the broadcast>}`. No compression (daphne does
not compress either), a listen backlog of 4096 like the servers under test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
import threading
import time
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

HOST = "127.0.0.1"


async def main_async(args: argparse.Namespace) -> None:
    connections: set[ServerConnection] = set()
    snapshot = json.dumps({"type": "snapshot", "seq": 0, "role": "public", "questions": []})

    async def handler(ws: ServerConnection) -> None:
        connections.add(ws)
        try:
            await ws.send(snapshot)
            await ws.wait_closed()
        finally:
            connections.discard(ws)

    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line.strip())
        loop.call_soon_threadsafe(lines.put_nowait, "quit")

    threading.Thread(target=read, daemon=True).start()
    async with serve(
        handler, HOST, args.port, compression=None, backlog=4096, max_queue=16, ping_interval=20
    ):
        print(json.dumps({"ready": True}), flush=True)
        deadline = time.monotonic() + args.max_seconds
        while time.monotonic() < deadline:
            try:
                line = await asyncio.wait_for(lines.get(), deadline - time.monotonic())
            except TimeoutError:
                break
            if line == "quit":
                break
            _, qid, seq = line.split()
            frame = _frame(int(qid), int(seq), args.frame_bytes)
            at = time.time()
            broadcast(connections, frame)
            print(json.dumps({"id": int(qid), "at": at, "to": len(connections)}), flush=True)


def _frame(qid: int, seq: int, size: int) -> str:
    question: dict[str, Any] = {
        "id": qid,
        "display_name": "Trần Thị Bình",
        "locality": "Phường Tân Phong",
        "body": "",
        "topic": "",
        "answer_state": "unanswered",
        "upvote_count": 0,
        "published_at": "2026-11-23T12:00:00.000Z",
        "answers": [],
    }
    base = json.dumps(
        {
            "type": "event",
            "seq": seq,
            "event": "question.published",
            "data": {"question": question},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )
    question["body"] = "x" * max(0, size - len(base.encode()))
    return json.dumps(
        {
            "type": "event",
            "seq": seq,
            "event": "question.published",
            "data": {"question": question},
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frame-bytes", type=int, default=500)
    parser.add_argument("--max-seconds", type=float, default=900)
    args = parser.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
