"""Viewers online per dialogue, counted across every server process, for the staff screens.

Each process knows its own sockets (the dialogue's hub in livechat.fanout). While a hub runs,
`hub_publish_loop` writes how many public viewers it has to the cache (Redis in production,
shared by every process) under a key of its own process slot, with a short time to live; the
console and the presenter screen add the slots up (`viewers_online`). A process that stops
writing (closed, crashed, cut off from Redis) drops out of the sum by itself within TTL_SECONDS.

Why slots: Django's cache cannot list keys, so a reader must know which keys to read. Each
process (event loop) takes the first free slot 0..MAX_SLOTS-1 with an atomic `cache.add` and
keeps it while it lives; the reader reads the count key of every slot in one `get_many`. A
deployment has a handful of processes; with more than MAX_SLOTS the extra ones are not counted
(and say so in the log).

Writes run in a worker thread bounded by a timeout and never overlap: a hung Redis neither
blocks the server's loop nor piles up threads. Without Redis (one process, local memory cache)
the same code counts that one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
import weakref
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)

# How often a hub looks at its own count (cheap: the length of a set) ...
CHECK_SECONDS = 1.0
# ... and rewrites it even when unchanged, to keep the key alive.
REFRESH_SECONDS = 5.0
# A count not refreshed for this long no longer counts (three missed refreshes).
TTL_SECONDS = 15
SLOT_TTL_SECONDS = 30
MAX_SLOTS = 32
WRITE_TIMEOUT_SECONDS = 2.0
AUDIENCE = "public"


def _slot_key(index: int) -> str:
    return f"presence:slot:{index}"


def _count_key(dialogue_id: int, index: int) -> str:
    return f"presence:d{dialogue_id}:s{index}"


class _Slot:
    """This process's (event loop's) slot: which index it holds, proven by a random token."""

    def __init__(self) -> None:
        self.token = uuid.uuid4().hex
        self.index: int | None = None
        self.warned = False

    def hold(self) -> int | None:
        """The slot index, taking or re-taking one if needed (runs in a worker thread)."""
        if self.index is not None:
            key = _slot_key(self.index)
            if cache.get(key) == self.token:
                cache.touch(key, SLOT_TTL_SECONDS)
                return self.index
            # Expired (this process was stalled or cut off) and maybe taken by another.
            self.index = None
        for index in range(MAX_SLOTS):
            if cache.add(_slot_key(index), self.token, SLOT_TTL_SECONDS):
                self.index = index
                return index
        if not self.warned:
            logger.warning("presence: all %s slots taken; this process is not counted", MAX_SLOTS)
            self.warned = True
        return None


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Slot] = weakref.WeakKeyDictionary()


def _slot_for_loop() -> _Slot:
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _Slot()
        _slots[loop] = slot
    return slot


def count_write(slot: _Slot, dialogue_id: int, count: int) -> None:
    """Write this process's count of `dialogue_id` (0 deletes it). Synchronous."""
    index = slot.hold()
    if index is None:
        return
    if count:
        cache.set(_count_key(dialogue_id, index), count, TTL_SECONDS)
    else:
        cache.delete(_count_key(dialogue_id, index))


async def _write(slot: _Slot, dialogue_id: int, count: int) -> bool:
    try:
        await asyncio.wait_for(
            asyncio.to_thread(count_write, slot, dialogue_id, count), WRITE_TIMEOUT_SECONDS
        )
    except asyncio.CancelledError:
        raise
    except Exception:
        logger.warning("presence: writing the count of %s failed", dialogue_id, exc_info=True)
        return False
    return True


def _local_count(hub: Any) -> int:
    return len(hub.subscribers.get(AUDIENCE, ()))


async def hub_publish_loop(hub: Any) -> None:
    """Publish `hub`'s viewer count while the hub runs; started and cancelled with the hub
    (livechat.fanout.DialogueHub). On cancellation the count is removed at once."""
    slot = _slot_for_loop()
    written: int | None = None
    written_at = 0.0
    try:
        while True:
            count = _local_count(hub)
            now = time.monotonic()
            due = count != written or now - written_at >= REFRESH_SECONDS
            if due and await _write(slot, hub.dialogue_id, count):
                written, written_at = count, now
            await asyncio.sleep(CHECK_SECONDS)
    except asyncio.CancelledError:
        # The hub stopped: its last socket left. Say so now rather than after the TTL.
        with contextlib.suppress(Exception):
            await _write(slot, hub.dialogue_id, 0)
        raise


def viewers_online(dialogue_id: int) -> int | None:
    """Public viewers of `dialogue_id` connected to any process right now (as of the last
    second or so); None when the cache cannot be read."""
    keys = [_count_key(dialogue_id, index) for index in range(MAX_SLOTS)]
    try:
        values = cache.get_many(keys)
    except Exception:
        logger.warning("presence: reading the counts of %s failed", dialogue_id, exc_info=True)
        return None
    return sum(int(v) for v in values.values() if isinstance(v, int))
