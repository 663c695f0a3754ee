"""Per-process fan-out of a dialogue's events to the sockets connected to this process.

The naive design puts every viewer's channel in a channel-layer group, which costs one Redis
message per viewer per event. Here each server process joins a dialogue's group once (a
`DialogueHub`), receives each event once, with its frames already serialised at commit time,
and hands the same ASGI message to each local socket. Nothing per viewer touches the channel
layer or the database.

The hub also repairs the doorbell: it knows the last `seq` it delivered per audience (read from
the database when it starts), and when an event arrives after a gap (a lost or late channel
layer message) it reads the missing events from the database once and delivers them first, so
every local socket gets every event in order. It also keeps the last snapshot it served per
audience, so a burst of viewers joining between two events costs one snapshot query, not one
per viewer.

A doorbell can be lost for good (Redis stopped or hung when the event committed: the sender
gives up, see consult.broadcast), and no later event may come to reveal the gap. So the hub
also reads the log itself: after `POLL_SECONDS` without a doorbell, every `OUTAGE_POLL_SECONDS`
while the channel layer fails, and at once when it comes back. Its sockets thus stay open and
keep receiving through a Redis outage (what other processes commit reaches them from the
database), and end with exactly the database's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any, Protocol

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from livechat import events, presence
from livechat.selectors import PUBLIC, STAFF, dialogue_get_fresh, event_list_after

logger = logging.getLogger(__name__)

# channels-redis forgets a group member after `group_expiry` (a day by default); a hub of a
# long-open dialogue page re-joins well before that.
GROUP_REJOIN_SECONDS = 3600.0
# Without a doorbell for this long, the hub reads the log (one small query): a doorbell lost
# with no event after it is delivered this late at worst.
POLL_SECONDS = 5.0
# While the channel layer fails (Redis down), the log is read this often instead.
OUTAGE_POLL_SECONDS = 1.0

_SEQ_KEYS = ((STAFF, "seq", "staff"), (PUBLIC, "public_seq", "public"))


class Subscriber(Protocol):
    audience: str

    def frame_deliver(self, seq: int, message: dict[str, Any]) -> None:
        """Take one event frame (an ASGI `websocket.send` message shared by every subscriber).

        Must not block: it is called for every local socket in turn.
        """
        ...


def _counters_get(dialogue_id: int) -> dict[str, int]:
    dialogue = dialogue_get_fresh(dialogue_id=dialogue_id)
    return {STAFF: dialogue.last_seq, PUBLIC: dialogue.last_public_seq}


class DialogueHub:
    """The one channel-layer group member of one dialogue in this process."""

    def __init__(self, dialogue_id: int) -> None:
        self.dialogue_id = dialogue_id
        self.subscribers: dict[str, set[Subscriber]] = {PUBLIC: set(), STAFF: set()}
        # The last seq delivered (or known to be in every later snapshot) per audience.
        self.last: dict[str, int] = {PUBLIC: 0, STAFF: 0}
        # The last snapshot served per audience: (seq, text).
        self.snapshots: dict[str, tuple[int, str]] = {}
        self.channel_name: str | None = None
        self.layer = get_channel_layer()
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        # False while the channel layer fails: the log is then read every OUTAGE_POLL_SECONDS.
        self.layer_ok = True
        # Whether the last attempt to join the dialogue's group succeeded.
        self.joined = False
        self.heard_at = time.monotonic()

    def __len__(self) -> int:
        return len(self.subscribers[PUBLIC]) + len(self.subscribers[STAFF])

    async def start(self) -> None:
        if self.layer is not None:
            # The default prefix on purpose: channels-redis reads every process-local channel
            # of one prefix with a single blocking pop, and a receiver of another prefix (the
            # inbox sockets, the accounts watch use the default) waits up to its 5 s
            # brpop timeout for its turn.
            self.channel_name = await self.layer.new_channel()
            # Redis down: sockets still open; the receive loop keeps trying to join, and the
            # log is read meanwhile.
            self.layer_ok = await self._group_join()
        # Read the counters only after joining the group: every event committed later rings
        # this hub, every event committed earlier is in the snapshot of any later subscriber.
        self.last = await database_sync_to_async(_counters_get)(self.dialogue_id)
        self.heard_at = time.monotonic()
        self._tasks = [
            asyncio.create_task(self._poll_loop(), name=f"hub-poll-{self.dialogue_id}"),
            # Viewers online, summed across processes for the staff screens (livechat.presence).
            asyncio.create_task(
                presence.hub_publish_loop(self), name=f"hub-presence-{self.dialogue_id}"
            ),
        ]
        if self.layer is not None:
            self._tasks += [
                asyncio.create_task(self._receive_loop(), name=f"hub-{self.dialogue_id}"),
                asyncio.create_task(self._rejoin_loop(), name=f"hub-rejoin-{self.dialogue_id}"),
            ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        if self.layer is not None and self.channel_name is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(
                    events.group_name(self.dialogue_id), self.channel_name
                )

    async def _rejoin_loop(self) -> None:
        """Keep the hub in its group: re-join every GROUP_REJOIN_SECONDS, and retry soon while
        a join fails. A join that failed once (a Redis hiccup as the hub started) is not
        noticed by the receive loop, whose reads of the hub's own channel go on succeeding:
        without this the hub stayed out of the group, heard no doorbell and served its sockets
        from the outage poll only, until the hourly re-join."""
        backoff = 0.5
        while True:
            if self.joined:
                await asyncio.sleep(GROUP_REJOIN_SECONDS)
                await self._group_join()
                continue
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            if await self._group_join():
                backoff = 0.5
                logger.info("hub %s: joined the group", self.dialogue_id)
                self.layer_ok = True
                # Joined: later events ring; the ones committed meanwhile are in the log.
                await self._catch_up_logged()

    async def _group_join(self) -> bool:
        if self.layer is None or self.channel_name is None:
            return False
        try:
            await self.layer.group_add(events.group_name(self.dialogue_id), self.channel_name)
        except Exception:
            logger.warning("hub %s: joining the group failed", self.dialogue_id, exc_info=True)
            self.joined = False
            return False
        self.joined = True
        return True

    async def _receive_loop(self) -> None:
        if self.layer is None or self.channel_name is None:
            return
        backoff = 0.5
        while True:
            try:
                message = await self.layer.receive(self.channel_name)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Redis gone: keep the sockets open (the poll loop reads the log meanwhile),
                # retry, and re-join the group (a restarted Redis has forgotten it).
                if self.layer_ok:
                    logger.warning(
                        "hub %s: channel layer receive failed", self.dialogue_id, exc_info=True
                    )
                self.layer_ok = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                if await self._group_join():
                    logger.info("hub %s: channel layer back", self.dialogue_id)
                    self.layer_ok = True
                    backoff = 0.5
                    # Joined: later events ring; the ones committed meanwhile are in the log.
                    await self._catch_up_logged()
                continue
            self.layer_ok = True
            self.heard_at = time.monotonic()
            if message.get("type") != events.DOORBELL:
                continue
            try:
                await self.message_deliver(message)
            except Exception:
                logger.exception(
                    "hub %s: delivering seq %s failed", self.dialogue_id, message.get("seq")
                )

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(OUTAGE_POLL_SECONDS)
            if self.layer_ok and time.monotonic() - self.heard_at < POLL_SECONDS:
                continue
            await self._catch_up_logged()

    async def _catch_up_logged(self) -> None:
        try:
            await self.catch_up()
        except Exception:
            logger.warning("hub %s: reading the event log failed", self.dialogue_id, exc_info=True)

    async def catch_up(self) -> None:
        """Deliver, from the database, every event committed after the last one delivered
        (the doorbells of which were lost or are late)."""
        async with self._lock:
            self.heard_at = time.monotonic()
            for audience in (STAFF, PUBLIC):
                missed = await database_sync_to_async(event_list_after)(
                    dialogue_id=self.dialogue_id, audience=audience, after=self.last[audience]
                )
                if missed is None:
                    # Too far behind to replay (or the log went backwards): hand over the newest
                    # event; its gap makes each socket close with CLOSE_RESYNC, and its client
                    # reconnects for a fresh snapshot.
                    newest = (await database_sync_to_async(_counters_get)(self.dialogue_id))[
                        audience
                    ]
                    missed = (
                        await database_sync_to_async(event_list_after)(
                            dialogue_id=self.dialogue_id,
                            audience=audience,
                            after=max(newest - 1, 0),
                        )
                        or []
                    )
                    self.last[audience] = newest
                for event in missed:
                    event_seq = event.seq if audience == STAFF else event.public_seq
                    frame = (
                        events.staff_frame(event)
                        if audience == STAFF
                        else events.public_frame(event)
                    )
                    if event_seq is None or frame is None:
                        continue
                    self.last[audience] = max(self.last[audience], event_seq)
                    self._fan_out(audience, event_seq, frame)
                if audience == STAFF and not missed:
                    return  # every event has a staff seq: nothing new for the public either

    async def message_deliver(self, message: dict[str, Any]) -> None:
        """Deliver one doorbell message (both audiences' frames of one event, or of several
        in order under `events`) to the local sockets."""
        async with self._lock:
            for entry in message.get("events") or (message,):
                for audience, seq_key, text_key in _SEQ_KEYS:
                    seq = entry.get(seq_key)
                    text = entry.get(text_key)
                    if seq is None or text is None:
                        continue
                    await self._audience_deliver(audience, int(seq), text)

    async def _audience_deliver(self, audience: str, seq: int, text: str) -> None:
        last = self.last[audience]
        if seq <= last:
            return  # a late or repeated doorbell: already delivered from the database
        if seq > last + 1 and self.subscribers[audience]:
            missed = await database_sync_to_async(event_list_after)(
                dialogue_id=self.dialogue_id, audience=audience, after=last
            )
            # None (too far behind) leaves the gap visible: each socket then closes with
            # CLOSE_RESYNC and its client reconnects for a fresh snapshot.
            for event in missed or []:
                event_seq = event.seq if audience == STAFF else event.public_seq
                if event_seq is None or event_seq >= seq:
                    break
                frame = (
                    events.staff_frame(event) if audience == STAFF else events.public_frame(event)
                )
                if frame is not None:
                    self._fan_out(audience, event_seq, frame)
        self.last[audience] = seq
        self._fan_out(audience, seq, text)

    def _fan_out(self, audience: str, seq: int, text: str) -> None:
        # One message object for every socket: the per-viewer work is one call to its send.
        message = {"type": "websocket.send", "text": text}
        for subscriber in tuple(self.subscribers[audience]):
            try:
                subscriber.frame_deliver(seq, message)
            except Exception:
                logger.debug("hub %s: a subscriber failed", self.dialogue_id, exc_info=True)

    # --- snapshots shared by the viewers who join between two events ---------------------

    def snapshot_cached(self, audience: str) -> tuple[int, str] | None:
        """The last snapshot served to this audience, if no event was delivered since.

        Safe for a subscriber that joined before asking: every frame after `last` reaches it.
        """
        cached = self.snapshots.get(audience)
        if cached is not None and cached[0] == self.last[audience]:
            return cached
        return None

    def snapshot_store(self, audience: str, seq: int, text: str) -> None:
        self.snapshots[audience] = (seq, text)


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
                try:
                    await hub.start()
                except BaseException:
                    # Failed or cancelled half-way (the database unreachable, the socket gone):
                    # leave no group member and no task behind; the next socket starts afresh.
                    await asyncio.shield(hub.stop())
                    raise
                self.hubs[dialogue_id] = hub
            hub.subscribers[subscriber.audience].add(subscriber)
            return hub

    async def unsubscribe(self, dialogue_id: int, subscriber: Subscriber) -> None:
        async with self._lock:
            hub = self.hubs.get(dialogue_id)
            if hub is None:
                return
            for members in hub.subscribers.values():
                members.discard(subscriber)
            if len(hub) > 0:
                return
            del self.hubs[dialogue_id]
        # Stopped outside the lock: leaving the group and clearing the viewer count wait on
        # Redis, and every socket opening in this process (any dialogue) waits for the lock.
        # A socket of the same dialogue opening meanwhile starts a hub of its own, with its own
        # channel, so the two never share state.
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
