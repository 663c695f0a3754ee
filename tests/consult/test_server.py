"""The production launcher (consult/server.py): daphne with a direct WebSocket send path.

What goes on the wire must be exactly what daphne would send — every frame, in order, intact,
whatever the client's reading speed — and a client that stops reading is ended instead of
buffered without bound. Checked against a real `python -m consult.server` process with
strict `websockets` clients (they reject any malformed frame) and raw sockets.
"""

from __future__ import annotations

import json
import pprint
import socket
import time
import urllib.request

import pytest
from daphne.ws_protocol import WebSocketProtocol
from twisted.logger import formatEvent
from websockets.frames import Frame, Opcode
from websockets.sync.client import connect

from consult.server import ConsultWebSocketProtocol, FrameCache, LazyPformat, frame_encode
from tests.frames_app import burst_text
from tests.servers import AsgiServer, asgi_server

pytestmark = pytest.mark.slow

APP = "tests.frames_app:application"


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
@pytest.mark.parametrize("binary", [False, True])
def test_a_frame_is_encoded_as_the_rfc_says(length: int, binary: bool) -> None:
    payload = bytes(i % 251 for i in range(length))
    opcode = Opcode.BINARY if binary else Opcode.TEXT
    expected = Frame(opcode, payload).serialize(mask=False)
    assert frame_encode(payload, binary=binary) == expected


def test_the_frame_cache_reuses_a_frame_only_for_the_same_unchanged_message() -> None:
    cache = FrameCache()
    message = {"type": "websocket.send", "text": "Câu hỏi đã duyệt"}
    first = cache.frame_for(message)
    assert first == frame_encode("Câu hỏi đã duyệt".encode())
    assert cache.frame_for(message) is first
    assert cache.frame_for(dict(message)) == first  # equal content, framed again
    message["text"] = "Câu trả lời"
    assert cache.frame_for(message) == frame_encode("Câu trả lời".encode())


@pytest.mark.parametrize(
    "message",
    [
        {"type": "websocket.send", "text": ""},
        {"type": "websocket.send", "text": "a", "bytes": b"b"},
        {"type": "websocket.send", "text": b"not a str"},
        {"type": "websocket.send"},
    ],
    ids=["empty", "both", "wrong-type", "neither"],
)
def test_unusual_messages_are_left_to_daphne(message: dict) -> None:
    assert FrameCache().frame_for(message) is None


def _stats(server: AsgiServer) -> dict[str, int]:
    # A fixed http://127.0.0.1 address.
    with urllib.request.urlopen(server.url + "/stats", timeout=5) as response:  # noqa: S310
        return json.loads(response.read())


def _expected_burst(count: int, size: int) -> list[str]:
    frames = []
    for index in range(count):
        frames += [burst_text(2 * index, size)] * 2
        frames.append(burst_text(2 * index + 1, size))
    return frames


def test_every_frame_arrives_intact_and_in_order_for_a_fast_reader() -> None:
    with (
        asgi_server(app=APP) as server,
        connect(server.ws_url + "/ws/burst?count=200&size=300", max_size=None) as ws,
    ):
        received = [ws.recv(timeout=10) for _ in range(600)]
        tail = ws.recv(timeout=10)
    assert received == _expected_burst(200, 300)
    assert tail == bytes(range(256)) * 4


def test_a_slow_reader_gets_every_frame_in_order_when_the_kernel_buffer_fills() -> None:
    # 200 × 3 frames of 40 KB (24 MB) is far more than the kernel's socket buffers hold, so
    # most frames wait in Twisted's buffer behind partly sent ones; the order must hold.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    env = {"CONSULT_WS_MAX_PENDING_BYTES": str(64 * 1024 * 1024)}
    with asgi_server(app=APP, env=env) as server:
        sock.connect(("127.0.0.1", server.port))
        url = server.ws_url + "/ws/burst?count=200&size=40000"
        with connect(url, sock=sock, max_size=None, max_queue=1) as ws:
            time.sleep(1)  # let the server's writes back up
            received = []
            for _ in range(600):
                received.append(ws.recv(timeout=30))
            tail = ws.recv(timeout=30)
    assert len(received) == 600
    assert received == _expected_burst(200, 40000)
    assert tail == bytes(range(256)) * 4


def test_a_client_that_stops_reading_is_ended_and_the_server_stays_healthy() -> None:
    env = {"CONSULT_WS_MAX_PENDING_BYTES": str(256 * 1024)}
    with asgi_server(app=APP, env=env) as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(
            b"GET /ws/burst?count=200&size=40000 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        deadline = time.monotonic() + 15
        while _stats(server)["disconnects"] < 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _stats(server)["disconnects"] == 1  # the application heard the socket end
        received = 0
        ended = False
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except ConnectionResetError:
                ended = True
                break
            if not chunk:
                ended = True
                break
            received += len(chunk)
        sock.close()
        assert ended
        assert received < 200 * 3 * 40000  # it did not get the whole burst: it was cut off
        with connect(server.ws_url + "/ws/echo") as ws:
            ws.send("Vẫn hoạt động")
            assert ws.recv(timeout=10) == "Vẫn hoạt động"
            ws.send(b"\x00\x01")
            assert ws.recv(timeout=10) == b"\x00\x01"


def test_the_stock_daphne_command_serves_the_same_frames() -> None:
    with (
        asgi_server(app=APP, server="daphne-stock") as server,
        connect(server.ws_url + "/ws/burst?count=20&size=300", max_size=None) as ws,
    ):
        received = [ws.recv(timeout=10) for _ in range(60)]
    assert received == _expected_burst(20, 300)


def test_autobahn_log_arguments_are_formatted_only_when_written() -> None:
    config = [("autoPingInterval", 0, "WebSocketServerFactory"), ("maxFramePayloadSize", 65536)]
    lazy = LazyPformat(config)
    assert str(lazy) == pprint.pformat(config)
    assert f"\n{lazy}" == "\n" + pprint.pformat(config)
    # How Twisted's logger (autobahn's, under daphne) formats an enabled line.
    event = {"log_format": "\n{attrs}", "attrs": lazy}
    assert formatEvent(event) == "\n" + pprint.pformat(config)


def test_the_incoming_size_limit_does_not_cut_what_the_server_sends() -> None:
    # Production sets --websocket-max-message-size 64 KiB against what clients send; a
    # snapshot of a few hundred questions is larger and must still go out.
    limits = ["--websocket-max-message-size", "65536", "--websocket-max-frame-size", "65536"]
    with (
        asgi_server(app=APP, args=limits) as server,
        connect(server.ws_url + "/ws/burst?count=1&size=200000", max_size=None) as ws,
    ):
        assert [ws.recv(timeout=10) for _ in range(3)] == _expected_burst(1, 200000)


def test_autobahns_own_send_path_is_not_limited_by_the_incoming_size_either(monkeypatch) -> None:
    seen: list[int] = []

    def record(self: ConsultWebSocketProtocol, payload: bytes, *args: object, **kw: object) -> None:
        seen.append(self.maxMessagePayloadSize)

    monkeypatch.setattr(WebSocketProtocol, "sendMessage", record)
    protocol = ConsultWebSocketProtocol.__new__(ConsultWebSocketProtocol)
    protocol.maxMessagePayloadSize = 65536
    protocol.sendMessage(b"x" * 200000, False)
    assert seen == [0]  # no limit while sending
    assert protocol.maxMessagePayloadSize == 65536  # and the incoming limit restored
