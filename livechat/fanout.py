"""Per-process fan-out of a dialogue's events to the sockets connected to this process.

The naive design puts every viewer's channel in a channel-layer group, which costs one Redis
message per viewer per event. Here each server process joins a dialogue's group once (a
`DialogueHub`), receives each event once, with its frames already serialised at commit time,
and hands the same text to each local socket. Nothing per viewer touches the channel layer or
the database.

The hub also repairs the doorbell: when an event arrives after a gap (a lost or late channel
layer message), it reads the missing events from the database once and delivers them first, so
every local socket gets every event in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from livechat import events
from livechat.selectors import PUBLIC, STAFF, event_list_after

logger = logging.getLogger(__name__)


class Subscriber(Protocol):
    audience: str

    async def frame_deliver(self, seq: int, text: str) -> None: ...


class DialogueHub:
    def __init__(self, dialogue_id: int) -> None:
        self.dialogue_id = dialogue_id
        self.subscribers: dict[str, set[Subscriber]] = {PUBLIC: set(), STAFF: set()}
        # The last seq this hub delivered per audience; None until the first event arrives.
        self.last: dict[str, int | None] = {PUBLIC: None, STAFF: None}
        self.channel_name: str | None = None
        self.task: asyncio.Task[None] | None = None
        self.layer = get_channel_layer()
        self._started = asyncio.Event()
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self.subscribers[PUBLIC]) + len(self.subscribers[STAFF])

    async def start(self) -> None:
        if self.layer is not None:
            self.channel_name = await self.layer.new_channel(prefix="hub")
            await self.layer.group_add(events.group_name(self.dialogue_id), self.channel_name)
            self.task = asyncio.create_task(self._receive_loop(), name=f"hub-{self.dialogue_id}")
        self._started.set()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        if self.layer is not None and self.channel_name is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(
                    events.group_name(self.dialogue_id), self.channel_name
                )

    async def _receive_loop(self) -> None:
        if self.layer is None or self.channel_name is None:
            return
        backoff = 0.5
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis gone: keep the sockets open, retry, and re-join the group; the first
                # event after recovery reveals the gap and the hub fills it from the database.
                logger.warning(
                    "hub %s: channel layer receive failed", self.dialogue_id, exc_info=True
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
                with contextlib.suppress(Exception):
                    await self.layer.group_add(
                        events.group_name(self.dialogue_id), self.channel_name
                    )
                continue
            if message.get("type") != events.DOORBELL:
                continue
            try:
                await self.message_deliver(message)
            except Exception:
                logger.exception(
                    "hub %s: delivering seq %s failed", self.dialogue_id, message.get("seq")
                )

    async def message_deliver(self, message: dict[str, Any]) -> None:
        async with self._lock:
            for audience, seq_key, text_key in (
                (STAFF, "seq", "staff"),
                (PUBLIC, "public_seq", "public"),
            ):
                seq = message.get(seq_key)
                text = message.get(text_key)
                if seq is None or text is None:
                    continue
                await self._audience_deliver(audience, int(seq), text)

    async def _audience_deliver(self, audience: str, seq: int, text: str) -> None:
        last = self.last[audience]
        if last is not None and seq <= last:
            return
        if last is not None and seq > last + 1 and self.subscribers[audience]:
            missed = await database_sync_to_async(event_list_after)(
                dialogue_id=self.dialogue_id, audience=audience, after=last
            )
            for event in missed or []:
                event_seq = event.seq if audience == STAFF else event.public_seq
                if event_seq is None or event_seq >= seq:
                    break
                frame = (
                    events.staff_frame(event) if audience == STAFF else events.public_frame(event)
                )
                if frame is not None:
                    await self._fan_out(audience, event_seq, frame)
        self.last[audience] = seq
        await self._fan_out(audience, seq, text)

    async def _fan_out(self, audience: str, seq: int, text: str) -> None:
        for subscriber in list(self.subscribers[audience]):
            try:
                await subscriber.frame_deliver(seq, text)
            except Exception:
                logger.debug("hub %s: a subscriber failed", self.dialogue_id, exc_info=True)


class HubRegistry:
    """The hubs of this process, one per dialogue that has at least one local socket."""

    def __init__(self) -> None:
        self.hubs: dict[int, DialogueHub] = {}
        self._lock = asyncio.Lock()

    async def subscribe(self, dialogue_id: int, subscriber: Subscriber) -> DialogueHub:
        async with self._lock:
            hub = self.hubs.get(dialogue_id)
            if hub is None:
                hub = DialogueHub(dialogue_id)
                self.hubs[dialogue_id] = hub
                await hub.start()
            hub.subscribers[subscriber.audience].add(subscriber)
            return hub

    async def unsubscribe(self, dialogue_id: int, subscriber: Subscriber) -> None:
        async with self._lock:
            hub = self.hubs.get(dialogue_id)
            if hub is None:
                return
            for members in hub.subscribers.values():
                members.discard(subscriber)
            if len(hub) == 0:
                del self.hubs[dialogue_id]
                await hub.stop()


_registries: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, HubRegistry] = (
    weakref.WeakKeyDictionary()
)


def hub_registry() -> HubRegistry:
    """The registry of the running event loop (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    registry = _registries.get(loop)
    if registry is None:
        registry = HubRegistry()
        _registries[loop] = registry
    return registry
