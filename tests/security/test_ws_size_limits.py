"""The server's WebSocket size limits are set deliberately and agree with the consumers.

docs/deployment.md and the README give the production command lines; every server command in
them sets daphne's `--websocket-max-message-size` and `--websocket-max-frame-size` below
daphne's 1 MiB default yet high enough for the largest frame a consumer accepts
(MAX_FRAME_CHARS characters of up to four UTF-8 bytes each). A real server started with
exactly those options passes the largest accepted frame to the application, answers a frame
the application finds too long with an error frame on a socket that stays open, and ends the
connection for a message past the limit before the application sees it, serving the next
socket as before.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from livechat.protocol import MAX_FRAME_CHARS as DIALOGUE_MAX_FRAME_CHARS
from moderation.consumers import MAX_FRAME_CHARS as INBOX_MAX_FRAME_CHARS

ROOT = Path(__file__).resolve().parents[2]
# Where a production command line is written down.
DOCUMENTS = (ROOT / "docs" / "deployment.md", ROOT / "README.md")
DAPHNE_DEFAULT_LIMIT = 1024 * 1024
# The most bytes a frame the consumers accept can take: every character four bytes of UTF-8.
LARGEST_ACCEPTED_BYTES = max(DIALOGUE_MAX_FRAME_CHARS, INBOX_MAX_FRAME_CHARS) * 4
FOUR_BYTES = "\U0001d11e"  # 𝄞: one character, four bytes of UTF-8
SIZE_OPTIONS = ("--websocket-max-message-size", "--websocket-max-frame-size")


def documented_server_commands() -> list[str]:
    """The server command lines in the code blocks of DOCUMENTS (continuations joined)."""
    commands = []
    for document in DOCUMENTS:
        in_code = False
        for line in document.read_text(encoding="utf-8").replace("\\\n", " ").splitlines():
            if line.strip().startswith("```"):
                in_code = not in_code
                continue
            server = "daphne" in line or "consult.server" in line
            if in_code and server and "asgi:application" in line:
                commands.append(" ".join(line.split()))
    return commands


def size_options(command: str) -> dict[str, int]:
    found = {}
    for option in SIZE_OPTIONS:
        match = re.search(rf"{re.escape(option)}[ =](\d+)\b", command)
        if match:
            found[option] = int(match.group(1))
    return found


def test_every_documented_server_command_sets_both_websocket_size_limits():
    commands = documented_server_commands()
    assert len(commands) >= 3, commands  # the systemd unit and the README's two processes
    for command in commands:
        options = size_options(command)
        assert set(options) == set(SIZE_OPTIONS), command
        for option, limit in options.items():
            assert LARGEST_ACCEPTED_BYTES <= limit < DAPHNE_DEFAULT_LIMIT, (option, limit)


def _largest_accepted_ping() -> str:
    """A ping of exactly MAX_FRAME_CHARS characters, nearly all of them four UTF-8 bytes."""
    head, tail = '{"type":"ping","request_id":"big","pad":"', '"}'
    text = head + FOUR_BYTES * (DIALOGUE_MAX_FRAME_CHARS - len(head) - len(tail)) + tail
    assert len(text) == DIALOGUE_MAX_FRAME_CHARS
    return text


def _open(server: Any, slug: str) -> ClientConnection:
    return connect(
        f"{server.ws_url}/ws/dialogues/{slug}/",
        origin=server.url,
        open_timeout=15,
        max_size=2**22,
        ping_interval=None,
        proxy=None,
    )


def _reply(socket: ClientConnection) -> dict[str, Any]:
    while True:
        frame = json.loads(socket.recv(timeout=15))
        if frame["type"] in ("ack", "error"):
            return frame


@pytest.mark.slow
def test_a_server_started_as_documented_enforces_the_limits_and_stays_healthy(
    asgi_server, dialogue
):
    options = size_options(documented_server_commands()[0])
    limit = options["--websocket-max-message-size"]
    server = asgi_server(args=[str(part) for pair in options.items() for part in pair])

    with _open(server, dialogue.slug) as socket:
        first = json.loads(socket.recv(timeout=15))
        assert first["type"] == "snapshot"
        # The largest frame the application accepts reaches it.
        largest = _largest_accepted_ping()
        assert LARGEST_ACCEPTED_BYTES - 256 < len(largest.encode()) <= limit
        socket.send(largest)
        assert _reply(socket) == {"type": "ack", "request_id": "big", "seq": first["seq"]}
        # One character more: the application refuses it, the socket stays open.
        socket.send("x" * (DIALOGUE_MAX_FRAME_CHARS + 1))
        refused = _reply(socket)
        assert (refused["type"], refused["code"]) == ("error", "too_large")
        socket.send(json.dumps({"type": "ping", "request_id": "still-open"}))
        assert _reply(socket)["request_id"] == "still-open"
        # Past the server's limit: the server ends the connection before the application
        # sees the message. daphne (autobahn failing the connection by dropping it) sends no
        # close frame, so the page sees 1006 and reconnects with ?after=; a server that
        # closes cleanly would say 1009 (message too big).
        socket.send("x" * (limit + 1))
        with pytest.raises(ConnectionClosed) as closed:
            _reply(socket)
        assert closed.value.rcvd is None or closed.value.rcvd.code == 1009

    # The process serves the next socket as before.
    with _open(server, dialogue.slug) as again:
        assert json.loads(again.recv(timeout=15))["type"] == "snapshot"
        again.send(json.dumps({"type": "ping", "request_id": "after"}))
        assert _reply(again)["request_id"] == "after"
    assert server.running()
