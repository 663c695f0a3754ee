"""Best-effort channel-layer messages sent after a commit, without ever holding up the request.

The database is the truth; a channel-layer message (a dialogue's doorbell, an inbox refresh,
an account change) only tells other processes to look. So a request must never wait for it:
with Redis stopped, channels-redis fails at once (connection refused), but with Redis hung or
unreachable behind a silent network (the configured `socket_timeout: None`, needed for idle
blocking reads) a `group_send` can wait for ever, and under daphne every synchronous view of a
process shares one worker thread, so one stuck send would stall every request of the process.

`group_send_soon` therefore hands the send to the server's event loop and returns at once; the
send itself gives up after `SEND_TIMEOUT` seconds. Code that runs without a server loop (a
management command, a script, a test calling a service directly) sends synchronously, bounded
by the same timeout. Failures are logged, never raised.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

# A healthy Redis answers in a millisecond; past this the message is dropped (and logged).
SEND_TIMEOUT = 2.0

# Sends in flight on a server loop, kept referenced so they are not garbage-collected early.
_pending: set[Any] = set()  # asyncio tasks and concurrent futures


def _server_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop of the ASGI server when this thread runs a sync view or
    `database_sync_to_async` work for it (asgiref records it), else None."""
    if getattr(SyncToAsync.threadlocal, "main_event_loop_pid", None) != os.getpid():
        return None
    loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
    if loop is None or not loop.is_running() or loop.is_closed():
        return None
    return loop


async def _send(layer: Any, group: str, message: dict[str, Any], what: str) -> None:
    try:
        await asyncio.wait_for(layer.group_send(group, message), SEND_TIMEOUT)
    except asyncio.CancelledError:
        raise
    except Exception:  # best-effort by design: the database is the truth
        logger.warning("%s: channel-layer send to %s failed", what, group, exc_info=True)


def group_send_soon(
    group: str, message: dict[str, Any], *, what: str = "broadcast", layer: Any = None
) -> None:
    """Send `message` to a channel-layer group without waiting for it (see the module doc).

    Called from synchronous code (a service's `on_commit`). Never raises; `what` names the
    message in the log if it fails. `layer` defaults to the configured channel layer.
    """
    layer = layer if layer is not None else get_channel_layer()
    if layer is None:
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # called from async code: the same fire-and-forget, on this loop
        task = running.create_task(_send(layer, group, message, what))
        _pending.add(task)
        task.add_done_callback(_pending.discard)
        return
    loop = _server_loop()
    if loop is not None:
        future = asyncio.run_coroutine_threadsafe(_send(layer, group, message, what), loop)
        _pending.add(future)
        future.add_done_callback(_pending.discard)
        return
    try:
        async_to_sync(_send)(layer, group, message, what)
    except Exception:
        logger.warning("%s: channel-layer send to %s failed", what, group, exc_info=True)
