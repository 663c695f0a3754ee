"""A bare ASGI application for the server tests (tests/consult/test_server.py): it sends
known frames in the ways the fan-out does, so what arrives can be compared byte for byte.

- `GET /` answers 200 (readiness); `GET /stats` answers how many sockets the server reported
  as disconnected, as JSON.
- `/ws/burst?count=N&size=S`: sends N numbered text frames of about S bytes — every frame
  twice through the same message object (the broadcast case, where the server reuses the
  frame), then once through that object changed in place — and one binary frame, then waits.
- `/ws/echo`: sends every text or binary frame back.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

_stats = {"disconnects": 0}


def burst_text(index: int, size: int) -> str:
    """Frame `index` of a burst: numbered, with Vietnamese text so UTF-8 lengths differ."""
    head = f"{index:06d}|"
    body = ("Đối thoại trực tuyến " * (size // 20 + 1))[: max(size - len(head), 0)]
    return head + body


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        return
    if scope["type"] == "http":
        await receive()
        body = json.dumps(_stats).encode() if scope["path"] == "/stats" else b"ok"
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})
        return
    message = await receive()
    assert message["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    if scope["path"] == "/ws/burst":
        query = parse_qs(scope["query_string"].decode())
        count = int(query.get("count", ["10"])[0])
        size = int(query.get("size", ["100"])[0])
        for index in range(count):
            shared = {"type": "websocket.send", "text": burst_text(2 * index, size)}
            await send(shared)
            await send(shared)
            shared["text"] = burst_text(2 * index + 1, size)
            await send(shared)
        await send({"type": "websocket.send", "bytes": bytes(range(256)) * 4})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            _stats["disconnects"] += 1
            return
        if scope["path"] == "/ws/echo":
            reply = {"type": "websocket.send"}
            if message.get("text") is not None:
                reply["text"] = message["text"]
            else:
                reply["bytes"] = message["bytes"]
            await send(reply)
