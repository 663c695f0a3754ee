"""consult.layers: channels-redis' receive clean-up lock no longer outlives a cancelled wait.

A read cancelled while waiting for the lock (a socket closing as a message arrives) left its
count behind in channels-redis 4.3, so the lock, bound to the event loop it was first waited
on in, was kept for ever; the next loop that had to wait on it (the next test, on Redis)
failed with "Lock ... is bound to a different event loop".
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from channels.layers import get_channel_layer
from django.conf import settings

from consult.layers import ChannelLock, RedisChannelLayer

CHANNEL = "consult-test.specific.abc!"


async def _held_then_waited_on_and_cancelled(locks: ChannelLock) -> None:
    assert await locks.acquire(CHANNEL) is True
    waiter = asyncio.ensure_future(locks.acquire(CHANNEL))
    await asyncio.sleep(0)  # the waiter now waits: the lock is bound to this loop
    assert not waiter.done()
    waiter.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await waiter
    locks.release(CHANNEL)


async def _contended_acquire(locks: ChannelLock) -> None:
    assert await locks.acquire(CHANNEL) is True
    waiter = asyncio.ensure_future(locks.acquire(CHANNEL))
    await asyncio.sleep(0)
    locks.release(CHANNEL)
    assert await asyncio.wait_for(waiter, timeout=5) is True
    locks.release(CHANNEL)


def test_a_cancelled_wait_gives_its_count_back_and_the_lock_is_dropped():
    locks = ChannelLock()
    asyncio.run(_held_then_waited_on_and_cancelled(locks))
    assert dict(locks.wait_counts) == {}
    assert dict(locks.locks) == {}


def test_the_next_event_loop_can_wait_on_the_lock_after_a_cancelled_wait():
    locks = ChannelLock()
    asyncio.run(_held_then_waited_on_and_cancelled(locks))
    asyncio.run(_contended_acquire(locks))  # raised RuntimeError (another loop) before the fix
    assert dict(locks.wait_counts) == {}


def test_a_wait_cancelled_after_being_handed_the_lock_passes_it_on():
    async def scenario(locks: ChannelLock) -> None:
        await locks.acquire(CHANNEL)
        first = asyncio.ensure_future(locks.acquire(CHANNEL))
        second = asyncio.ensure_future(locks.acquire(CHANNEL))
        await asyncio.sleep(0)
        locks.release(CHANNEL)  # hands the lock to `first`, which is cancelled before it runs
        first.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await first
        assert await asyncio.wait_for(second, timeout=5) is True
        assert dict(locks.wait_counts) == {CHANNEL: 1}
        locks.release(CHANNEL)

    locks = ChannelLock()
    asyncio.run(scenario(locks))
    assert dict(locks.wait_counts) == {}
    assert dict(locks.locks) == {}


@pytest.mark.skipif(
    not settings.REDIS_URL, reason="the Redis layer is configured only with REDIS_URL"
)
def test_the_configured_redis_layer_uses_the_corrected_lock():
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    assert isinstance(layer.receive_clean_locks, ChannelLock)
