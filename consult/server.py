"""daphne with a direct WebSocket send path: `python -m consult.server` takes daphne's own
command line (`python -m consult.server -b 127.0.0.1 -p 8000 asgi:application`).

Why: a live dialogue hands the same frame to thousands of sockets at once (livechat/fanout.py
serialises it once and gives every socket the same ASGI message). Under stock daphne each of
those sends goes through autobahn's framing (type checks, traffic statistics, debug-log
arguments formatted for a disabled log line) and Twisted's buffered write, which never tries
the socket at once: every frame registers the socket for writability (one `epoll_ctl`), waits
for the next turn of the event loop, sends, and unregisters (a second `epoll_ctl`). That is
about 80 % of daphne's CPU per delivered frame (docs/performance.md) and the reason it cost
3–6× a plain `websockets` broadcast.

This module changes only that path, and only where the result on the wire is identical:

- A text or binary `websocket.send` on an open, uncompressed, unfragmented connection is
  framed here (RFC 6455 §5.2: FIN, opcode, length; server frames are not masked), and the
  frame of the last message object sent by this process is reused, so a broadcast frames once
  per process instead of once per socket.
- The frame is written straight to the socket when nothing is waiting in Twisted's buffer
  (one `send` system call, as asyncio transports do); what the kernel does not take is handed
  to Twisted's buffered write, which keeps the order. Anything unusual (TLS, compression,
  fragmentation or autobahn's queued sends, an over-long message) takes daphne's own path.
- `--websocket-max-message-size` limits what clients send, not what the server sends:
  autobahn applies it both ways, so under stock daphne with the limit set a snapshot larger
  than it ends the socket (1011).
- A connection whose unsent data already exceeds `CONSULT_WS_MAX_PENDING_BYTES` (4 MiB by
  default) when the next frame comes is a client that stopped reading: it is aborted instead of buffering without bound (daphne
  alone only drops it at the next unanswered ping). The application sees an ordinary
  `websocket.disconnect`; the client reconnects with `?after=` (docs/protocol.md).

One more cut, on connection: autobahn pretty-prints its whole configuration for a debug line
on every new WebSocket even when that line is disabled (about a tenth of the CPU of opening a
socket); here the text is only built if the line is actually written.

Everything else — HTTP, the handshake, pings, timeouts, closing, every command-line option —
is daphne's. The application stays server-agnostic: `daphne asgi:application` and uvicorn
serve it unchanged, only slower per delivered frame.
"""

from __future__ import annotations

import os
import pprint
import struct
import sys
from typing import Any

import autobahn.websocket.protocol as autobahn_protocol
from daphne.cli import CommandLineInterface as DaphneCommandLineInterface
from daphne.server import Server as DaphneServer
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet import tcp

DEFAULT_MAX_PENDING_BYTES = 4 * 1024 * 1024

_OPCODE_TEXT = 0x1
_OPCODE_BINARY = 0x2
_FIN = 0x80


def frame_encode(payload: bytes, *, binary: bool = False) -> bytes:
    """One unmasked, unfragmented server frame carrying `payload` (RFC 6455 §5.2)."""
    first = _FIN | (_OPCODE_BINARY if binary else _OPCODE_TEXT)
    length = len(payload)
    if length < 126:
        header = struct.pack("!BB", first, length)
    elif length < 1 << 16:
        header = struct.pack("!BBH", first, 126, length)
    else:
        header = struct.pack("!BBQ", first, 127, length)
    return header + payload


def _max_pending_bytes() -> int:
    raw = os.environ.get("CONSULT_WS_MAX_PENDING_BYTES", "")
    try:
        value = int(raw)
    except ValueError:
        return DEFAULT_MAX_PENDING_BYTES
    return value if value > 0 else DEFAULT_MAX_PENDING_BYTES


class LazyPformat:
    """`pprint.pformat(value)` computed only when the log line is formatted."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return pprint.pformat(self.value)

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return format(str(self), spec)


class FrameCache:
    """The frame of the last message object sent, shared by the connections of one factory.

    Keyed by identity: the fan-out hands one dict to every socket, and holding that dict here
    keeps its identity from being reused by another object while it is the key.
    """

    __slots__ = ("data", "frame", "message", "text")

    def __init__(self) -> None:
        self.message: dict[str, Any] | None = None
        self.text: Any = None
        self.data: Any = None
        self.frame = b""

    def frame_for(self, message: dict[str, Any]) -> bytes | None:
        text = message.get("text")
        data = message.get("bytes")
        # The payload objects are compared too: a dict sent again after being changed in place
        # must not go out with its old frame.
        if message is self.message and text is self.text and data is self.data:
            return self.frame
        if text is not None and data is not None:
            return None  # invalid (both keys): daphne's own path raises the error
        if isinstance(text, str) and text:
            frame = frame_encode(text.encode("utf-8"))
        elif isinstance(data, bytes) and data:
            frame = frame_encode(data, binary=True)
        else:
            return None  # empty or of a wrong type: daphne's own path decides
        self.message, self.text, self.data, self.frame = message, text, data, frame
        return frame


class ConsultWebSocketProtocol(WebSocketProtocol):
    """daphne's WebSocket protocol with the direct send path described in the module doc."""

    max_pending_bytes = DEFAULT_MAX_PENDING_BYTES

    def handle_reply(self, message: dict[str, Any]) -> None:
        if message.get("type") == "websocket.send" and self._fast_send(message):
            return
        super().handle_reply(message)

    def sendMessage(self, payload: bytes, *args: Any, **kwargs: Any) -> None:
        # `--websocket-max-message-size` guards against what clients send; autobahn applies
        # the same number to what the server sends, which would end every socket whose
        # snapshot is larger (a dialogue of a few hundred questions) with 1011.
        limit: int = self.maxMessagePayloadSize  # type: ignore[has-type]  # set by autobahn at connection
        self.maxMessagePayloadSize = 0
        try:
            super().sendMessage(payload, *args, **kwargs)
        finally:
            self.maxMessagePayloadSize = limit

    def _fast_path_open(self) -> bool:
        return (
            self.state == self.STATE_OPEN
            and self._perMessageCompress is None
            and not self.maskServerFrames
            and not self.autoFragmentSize
            and self.send_state == self.SEND_STATE_GROUND
            and not self.send_queue
            and not self.logFrames
            and not self.logOctets
        )

    def _fast_send(self, message: dict[str, Any]) -> bool:
        """Send `message` directly; False leaves it to daphne (nothing was written)."""
        if not self._fast_path_open():
            return False
        transport = self.transport
        # Only a plain TCP connection: under TLS the transport is a protocol wrapper whose
        # attribute lookups reach the raw socket, which must never get unencrypted bytes.
        if type(transport) is not tcp.Server:
            return False
        sock = transport.socket
        frame = self.factory.frame_cache.frame_for(message)
        if frame is None:
            return False
        if not transport.connected or transport.disconnecting or transport._writeDisconnected:
            return True  # the connection is going away; daphne would drop the frame too
        pending = len(transport.dataBuffer) - transport.offset + transport._tempDataLen
        if pending:
            # Measured before this frame, so one large frame (a snapshot) never counts alone.
            if pending > self.max_pending_bytes:
                # The client stopped reading: end it rather than buffer without bound.
                transport.abortConnection()
                return True
            transport.write(frame)  # behind what is already waiting, in order
            return True
        try:
            sent = sock.send(frame)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            # Let Twisted meet the error on its own write and close the connection its way.
            transport.write(frame)
            return True
        if sent < len(frame):
            transport.write(frame[sent:])
        return True


class Server(DaphneServer):
    """daphne's server building its WebSocket connections with ConsultWebSocketProtocol."""

    # daphne's run() creates the factory inline; taking it over as it is assigned keeps every
    # other line of run() (listening, logging, timeouts) daphne's own.
    @property
    def ws_factory(self) -> WebSocketFactory:
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory: WebSocketFactory) -> None:
        factory.protocol = ConsultWebSocketProtocol
        factory.frame_cache = FrameCache()  # type: ignore[attr-defined]
        ConsultWebSocketProtocol.max_pending_bytes = _max_pending_bytes()
        self._ws_factory = factory


def _autobahn_log_lazily() -> None:
    # autobahn's log calls take their arguments to format later ("{attrs}"), so handing them
    # an object that formats itself keeps the log line identical when it is enabled.
    autobahn_protocol.pformat = LazyPformat  # type: ignore[attr-defined,assignment]


class CommandLineInterface(DaphneCommandLineInterface):
    """daphne's command line, serving with `Server`."""

    server_class = Server


def main(argv: list[str] | None = None) -> None:
    _autobahn_log_lazily()
    CommandLineInterface().run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
