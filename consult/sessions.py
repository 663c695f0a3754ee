"""Staff sockets follow their account: logging out, a role revoked, an account disabled or a
password changed closes that user's open staff sockets within seconds.

A page's staff socket (the dialogue console or presenter, the moderators' inbox) was
authorised once, when it opened; a WebSocket has no later request on which to check again. So:

- Each server process keeps a registry of its open staff sockets by user id (`staff_watch()`,
  one per event loop), and joins the channel-layer group `ACCOUNTS_GROUP` once, like the
  dialogue hub: one member per process, not per socket.
- Signals, after commit, announce "this account changed" (`account_changed`): on logout
  (`user_logged_out`, with a digest of the session that ended), and when a saved User's role,
  activity, superuser flag, agency, leader or password differs from what was stored. The
  announcement goes to this process's registry directly and to every other process through
  the group (best-effort, never waiting: consult.broadcast).
- Each registered socket of that user then re-reads its own session and account
  (`session_account`) and, if it may no longer do what it was opened for, closes with
  `CLOSE_LOGGED_OUT` (4401: the session ended or the password changed; log in again) or
  `CLOSE_NOT_ALLOWED` (4403: the account is disabled or lost the role). The page's script
  reconnects, now as the public (the dialogue) or stops (the inbox).
- Backstops for a lost announcement (Redis down, or a change made with a bulk `update()`
  that sends no signal): every socket re-checks its account before each privileged action,
  and the registry re-checks every socket every `SWEEP_SECONDS`.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import logging
import weakref
from importlib import import_module
from types import SimpleNamespace
from typing import Any, Protocol

from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from consult.broadcast import group_send_soon

logger = logging.getLogger(__name__)

ACCOUNTS_GROUP = "accounts"
# The channel-layer message type; the registry's receive loop handles it.
ACCOUNT_CHANGED = "accounts.changed"

CLOSE_LOGGED_OUT = 4401  # the session ended (logout, password changed): log in again
CLOSE_NOT_ALLOWED = 4403  # the account is disabled or no longer has the role

# Every staff socket re-checks its account at least this often, whatever the signals say.
SWEEP_SECONDS = 30.0
GROUP_REJOIN_SECONDS = 3600.0

# The User fields whose change can take a permission away.
WATCHED_FIELDS = ("role", "is_active", "is_superuser", "is_staff", "agency_id", "leader_id")


def session_digest(session_key: str | None) -> str:
    """A session's name in messages: the key itself is a credential and never leaves here."""
    if not session_key:
        return ""
    return hashlib.sha256(f"consult-session:{session_key}".encode()).hexdigest()[:32]


def session_account(session_key: str | None, user_id: int | None) -> tuple[Any, int | None]:
    """The account behind a socket, read afresh: (user, None) while the session still logs this
    user in, else (None, CLOSE_LOGGED_OUT) or, for a disabled account, (None, CLOSE_NOT_ALLOWED).

    Checks what a request would (`auth.get_user`: the session's user id, backend and password
    hash, and that the account is active). The caller checks the role for what it does.
    """
    if not session_key or user_id is None:
        return None, CLOSE_LOGGED_OUT
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(store.get(auth.SESSION_KEY, "")) != str(user_id):
        return None, CLOSE_LOGGED_OUT
    user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    if user.pk == user_id:
        return user, None
    from consult.models import User

    if User.objects.filter(pk=user_id, is_active=False).exists():
        return None, CLOSE_NOT_ALLOWED
    return None, CLOSE_LOGGED_OUT


class StaffSocket(Protocol):
    """A consumer opened with staff rights, registered in `staff_watch()`."""

    def watched_user_id(self) -> int | None:
        """The id of the account the socket was opened for."""
        ...

    def watched_session(self) -> str:
        """`session_digest` of the socket's session key."""
        ...

    async def account_recheck(self, ended_session: str = "") -> None:
        """Re-read the account and close the socket (4401/4403) if it may no longer act; close
        with 4401 at once if `ended_session` is the socket's own session (it logged out).

        Must not raise."""
        ...


class StaffWatch:
    """The staff sockets of one event loop (one server process), by user id."""

    def __init__(self) -> None:
        self.sockets: dict[int, set[StaffSocket]] = {}
        # The sockets that hear of changes in other processes through this registry's group
        # membership (the others have a channel of their own in ACCOUNTS_GROUP).
        self.listeners: set[StaffSocket] = set()
        self.loop = asyncio.get_running_loop()
        self.layer = get_channel_layer()
        self.channel_name: str | None = None
        self._sweep_task: asyncio.Task[None] | None = None
        self._remote_task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return sum(len(members) for members in self.sockets.values())

    async def register(self, socket: StaffSocket, *, listen: bool = True) -> None:
        """Watch `socket`. `listen=False` for a consumer that is itself a member of
        ACCOUNTS_GROUP (it hears other processes on its own channel, which ends with it)."""
        user_id = socket.watched_user_id()
        if user_id is None:
            return
        async with self._lock:
            if self._sweep_task is None:
                self._sweep_task = asyncio.create_task(self._sweep_loop(), name="accounts-sweep")
            if listen:
                self.listeners.add(socket)
                if self._remote_task is None:
                    await self._remote_start()
            self.sockets.setdefault(user_id, set()).add(socket)

    async def unregister(self, socket: StaffSocket) -> None:
        async with self._lock:
            for user_id, members in list(self.sockets.items()):
                members.discard(socket)
                if not members:
                    del self.sockets[user_id]
            self.listeners.discard(socket)
            if not self.listeners and self._remote_task is not None:
                await self._remote_stop()
            if not self.sockets and self._sweep_task is not None:
                task, self._sweep_task = self._sweep_task, None
                await _cancelled(task)

    def notify(self, user_id: int, session: str = "") -> None:
        """An account changed: each of its sockets here re-checks (from this loop only)."""
        for socket in tuple(self.sockets.get(int(user_id), ())):
            # A fresh context: when announced from a worker thread of this loop, the caller's
            # context would make asgiref believe the re-check runs inside that busy thread.
            task = self.loop.create_task(
                socket.account_recheck(session), context=contextvars.Context()
            )
            self._keep(task)

    def _keep(self, task: asyncio.Task[Any]) -> None:
        _running.add(task)
        task.add_done_callback(_running.discard)

    # --- the one channel-layer member of this process -----------------------------------

    async def _remote_start(self) -> None:
        if self.layer is None:
            return
        joined = False
        try:
            # The default prefix, shared with the dialogue hubs and the inbox sockets: with
            # channels-redis, process-local channels of different prefixes take turns at a
            # blocking read and wait up to 5 s for one another (see livechat.fanout).
            self.channel_name = await self.layer.new_channel()
            await self.layer.group_add(ACCOUNTS_GROUP, self.channel_name)
            joined = True
        except Exception:
            # Redis down: the sweep and the per-action checks still hold; the receive loop
            # re-joins once it is back.
            logger.warning("accounts: joining the group failed", exc_info=True)
        if self.channel_name is not None:
            self._remote_task = asyncio.create_task(
                self._receive_loop(joined=joined), name="accounts"
            )

    async def _remote_stop(self) -> None:
        task, self._remote_task = self._remote_task, None
        if task is not None:
            await _cancelled(task)
        if self.layer is not None and self.channel_name is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(ACCOUNTS_GROUP, self.channel_name)
        self.channel_name = None

    async def _receive_loop(self, *, joined: bool = True) -> None:
        """Hear other processes' announcements. Not in the group (the first join failed, or
        Redis failed since and may have forgotten it): join before reading again, since a
        read of this channel alone succeeds without ever hearing anything."""
        if self.layer is None or self.channel_name is None:
            return
        backoff = 0.5
        joined_at: float | None = self.loop.time() if joined else None
        while True:
            try:
                if joined_at is None or self.loop.time() - joined_at > GROUP_REJOIN_SECONDS:
                    await self.layer.group_add(ACCOUNTS_GROUP, self.channel_name)
                    if joined_at is None:
                        # In again: what changed meanwhile was not heard, so every socket
                        # re-checks.
                        self._sweep()
                    joined_at = self.loop.time()
                message = await self.layer.receive(self.channel_name)
                backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.debug("accounts: channel layer join or receive failed", exc_info=True)
                joined_at = None
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if message.get("type") == ACCOUNT_CHANGED and message.get("user_id") is not None:
                self.notify(int(message["user_id"]), str(message.get("session") or ""))

    async def _sweep_loop(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_SECONDS)
            self._sweep()

    def _sweep(self) -> None:
        for user_id in tuple(self.sockets):
            self.notify(user_id)


async def _cancelled(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task


_running: set[asyncio.Task[Any]] = set()
_watches: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, StaffWatch] = (
    weakref.WeakKeyDictionary()
)


def staff_watch() -> StaffWatch:
    """The registry of the running event loop (tests run several loops in one process)."""
    loop = asyncio.get_running_loop()
    watch = _watches.get(loop)
    if watch is None:
        watch = StaffWatch()
        _watches[loop] = watch
    return watch


def account_changed(*, user_id: int, session: str = "") -> None:
    """Tell every server process that this account changed (or logged out of `session`, a
    `session_digest`): its staff sockets re-check it and close if they may no longer act.

    Best-effort and never waiting; call it after the change committed.
    """
    try:
        watches = list(_watches.items())
    except RuntimeError:  # a loop's registry appeared meanwhile (another thread): rare
        watches = []
    for loop, watch in watches:
        if loop.is_closed() or not watch.sockets:
            continue
        with contextlib.suppress(RuntimeError):  # the loop stopped in between
            loop.call_soon_threadsafe(
                watch.notify, int(user_id), session, context=contextvars.Context()
            )
    group_send_soon(
        ACCOUNTS_GROUP,
        {"type": ACCOUNT_CHANGED, "user_id": int(user_id), "session": session},
        what=f"account change of user {user_id}",
    )


def _after_commit(user_id: int, session: str = "") -> None:
    transaction.on_commit(lambda: account_changed(user_id=user_id, session=session))


# --- signals (connected when consult's AppConfig is ready) -----------------------------------


@receiver(user_logged_out, dispatch_uid="consult.sessions.logged_out")
def _on_logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is None or user.pk is None:
        return
    session = getattr(request, "session", None)
    # Sent before the session is flushed: name the ending session, so that its sockets close
    # even if they re-check before the flush reaches the database.
    _after_commit(user.pk, session_digest(getattr(session, "session_key", None)))


def _user_model(sender: Any) -> bool:
    return sender is auth.get_user_model()


@receiver(pre_save, dispatch_uid="consult.sessions.user_pre_save")
def _on_user_pre_save(sender: Any, instance: Any, update_fields: Any = None, **kwargs: Any) -> None:
    if not _user_model(sender) or instance.pk is None:
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return  # a login: nothing a socket depends on
    before = sender.objects.filter(pk=instance.pk).values(*WATCHED_FIELDS, "password").first()
    instance._consult_watch_before = before


@receiver(post_save, dispatch_uid="consult.sessions.user_post_save")
def _on_user_post_save(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    if not _user_model(sender) or created:
        return
    before = instance.__dict__.pop("_consult_watch_before", None)
    if before is None:
        return
    after = {field: getattr(instance, field) for field in (*WATCHED_FIELDS, "password")}
    if any(before[field] != after[field] for field in after):
        _after_commit(instance.pk)


@receiver(post_delete, dispatch_uid="consult.sessions.user_post_delete")
def _on_user_post_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    if _user_model(sender):
        _after_commit(instance.pk)
