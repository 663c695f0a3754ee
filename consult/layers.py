"""The Redis channel layer, with one bookkeeping fault of channels-redis 4.3 corrected.

channels-redis serialises a process's reads of its process-local channels with a per-channel
lock (`receive_clean_locks`): a read waits until the previous message's backup has been
cleaned. The lock counts its waiters and is dropped when the count reaches zero, but a read
cancelled while it waits for that lock (a socket closing just as a message arrived for
another socket of the process) leaves its count behind (channels-redis#313). The lock is then
never dropped:

- with several event loops in one process (the tests: one per test; asgiref's threads) the
  surviving lock is bound to a loop that has ended, and the next read that has to wait for it
  fails with "Lock ... is bound to a different event loop", which ends that consumer;
- in a server process each cancelled wait adds one more count that is never given back.

`RedisChannelLayer` below is channels-redis' layer with a lock registry that gives the count
back when a wait ends without the lock. Set as the backend in consult.settings.
"""

from __future__ import annotations

from typing import Any

from channels_redis import core


class ChannelLock(core.ChannelLock):
    """channels-redis' per-channel lock registry; a wait that fails or is cancelled no longer
    leaves its count behind."""

    async def acquire(self, channel: str) -> bool:
        try:
            return await super().acquire(channel)
        except BaseException:
            # Not acquired (asyncio.Lock hands the lock on to the next waiter when a woken
            # waiter is cancelled): only the count taken for this wait is undone.
            self.wait_counts[channel] -= 1
            if self.wait_counts[channel] < 1:
                del self.locks[channel]
                del self.wait_counts[channel]
            raise


class RedisChannelLayer(core.RedisChannelLayer):
    """channels_redis.core.RedisChannelLayer with `ChannelLock` for its receive clean-up locks."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.receive_clean_locks = ChannelLock()
