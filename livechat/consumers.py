"""The dialogue WebSocket: snapshot or replay on connect, live frames from the process hub,
and client actions that call the same services as the HTML forms and the JSON API.

A socket has no channel-layer channel of its own (see `livechat.fanout`). Every frame it sends
goes through `_push`, which hands the ASGI message to the server without waiting for the
client: a viewer who stops reading gets a backlog of its own (bounded, then closed) and never
delays the other sockets of the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, cast
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from consult.errors import DomainError, NotAllowed, TooMany
from consult.sessions import (
    CLOSE_LOGGED_OUT,
    CLOSE_NOT_ALLOWED,
    session_account,
    session_digest,
    staff_watch,
)
from livechat import events, selectors, services
from livechat.fanout import DialogueHub, hub_registry
from livechat.protocol import (
    CLOSE_NOT_FOUND,
    CLOSE_RESYNC,
    CLOSE_SERVER_ERROR,
    CLOSE_TOO_SLOW,
    ClientFrame,
    frame_parse,
)

logger = logging.getLogger(__name__)

VOTER_COOKIE = "consult_voter"
# Frames waiting for a client that reads slower than events arrive; past this, the socket is
# closed with CLOSE_TOO_SLOW and its client resumes with ?after= (nothing is lost).
MAX_BACKLOG = 500
# A client past its backlog gets the 4408 close after the frame in flight; if that frame is
# still not written this much later, the client has stopped reading altogether: the send is
# abandoned and the close sent at once (a server applying back-pressure then drops it).
STALLED_CLOSE_SECONDS = 10.0
# Client actions per socket: a burst, then a steady rate (tokens per second).
ACTION_BURST = 20
ACTION_RATE = 5.0


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _text(text: str) -> dict[str, Any]:
    return {"type": "websocket.send", "text": text}


async def _resume(coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
    """Finish, as a task would, a send coroutine that `_push` started by hand and that is
    waiting on `waiting` (the future it yielded, or None for a bare yield)."""
    while True:
        try:
            if waiting is None:
                await asyncio.sleep(0)
            else:
                # Hand the future over the way Task.__step does before waiting on it.
                waiting._asyncio_future_blocking = False
                await waiting
        except asyncio.CancelledError:
            coro.close()
            raise
        except BaseException:  # noqa: S110 -- the coroutine sees the outcome when resumed
            pass
        try:
            waiting = coro.send(None)
        except StopIteration:
            return


def _dialogue_open(slug: str, user: Any) -> tuple[Any, str]:
    dialogue = selectors.dialogue_get(slug=slug, viewer=user)
    return dialogue, selectors.audience_for(user, dialogue)


# Anonymous sockets opening at the same moment (a dialogue starting, a reconnect storm after a
# restart) share one lookup of their dialogue per process. Under daphne every lookup runs on
# the one shared sync thread and opens its own database connection, which capped openings at
# a few dozen per second (docs/performance.md). A lookup is shared only while it is in flight,
# so the answer is never older than one lookup: the same as having asked a moment earlier.
# Logged-in sockets look up on their own (their audience depends on the account).
_lookups: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[str, asyncio.Future[tuple[Any, str]]]
] = weakref.WeakKeyDictionary()


async def _dialogue_open_shared(slug: str, user: Any) -> tuple[Any, str]:
    if getattr(user, "is_authenticated", False):
        return await database_sync_to_async(_dialogue_open)(slug, user)
    flights = _lookups.setdefault(asyncio.get_running_loop(), {})
    flight = flights.get(slug)
    if flight is None:
        flight = asyncio.ensure_future(database_sync_to_async(_dialogue_open)(slug, user))
        flights[slug] = flight

        def landed(done: asyncio.Future[tuple[Any, str]]) -> None:
            if flights.get(slug) is done:
                del flights[slug]
            if not done.cancelled():
                done.exception()  # retrieved here even if every waiter has gone

        flight.add_done_callback(landed)
    # A socket that goes away while waiting must not cancel the others' lookup.
    return await asyncio.shield(flight)


# Sockets opening at the same moment also share their first read: a fresh snapshot (the first
# sockets of a process, before the hub has one to serve) or the events after the same `after`
# (the reconnect storm after a restart: every viewer was at the same seq). A socket that has
# joined its hub joins a read only while the read has not started: its query then sees
# everything committed before it, and whatever is committed later reaches the socket through
# the hub's buffer, exactly as if the socket had read the database itself. Under daphne the
# reads queue on the one sync thread, so in a storm most sockets find one waiting.
_reads: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[Any, ...], tuple[list[bool], asyncio.Future[Any]]]
] = weakref.WeakKeyDictionary()


def _read_run(started: list[bool], read: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    started.append(True)  # before the query: no socket may join from here on
    return read(**kwargs)


async def _read_shared(key: tuple[Any, ...], read: Callable[..., Any], **kwargs: Any) -> Any:
    """`read(**kwargs)` in a worker thread, shared with the sockets asking the same `key`
    before it starts. Call only after the socket has joined its hub."""
    flights = _reads.setdefault(asyncio.get_running_loop(), {})
    entry = flights.get(key)
    if entry is not None and not entry[0]:
        flight = entry[1]
    else:
        started: list[bool] = []
        flight = asyncio.ensure_future(database_sync_to_async(_read_run)(started, read, kwargs))
        current = (started, flight)
        flights[key] = current

        def landed(done: asyncio.Future[Any]) -> None:
            if flights.get(key) is current:
                del flights[key]
            if not done.cancelled():
                done.exception()

        flight.add_done_callback(landed)
    return await asyncio.shield(flight)


def _snapshot_text(dialogue: Any, audience: str) -> tuple[int, str]:
    snapshot = selectors.snapshot_build(dialogue=dialogue, audience=audience)
    snapshot["role"] = audience
    return snapshot["seq"], _dumps(snapshot)


def _staff_check(session_key: str | None, user_id: int | None, dialogue: Any) -> tuple[Any, int]:
    """The socket's account read afresh, and 0 while it may still follow the dialogue as staff;
    else None and the close code (consult.sessions)."""
    user, code = session_account(session_key, user_id)
    if user is None:
        return None, code or CLOSE_LOGGED_OUT
    if selectors.audience_for(user, dialogue) != selectors.STAFF:
        return None, CLOSE_NOT_ALLOWED
    return user, 0


class AccountRevoked(NotAllowed):
    """A privileged action from a socket whose account may no longer take it."""

    def __init__(self, close_code: int) -> None:
        super().__init__(_("Phiên đăng nhập đã kết thúc hoặc tài khoản không còn quyền này."))
        self.close_code = close_code


def _dispatch(
    user: Any,
    dialogue_id: int,
    frame: ClientFrame,
    voter: str,
    staff: tuple[str | None, Any] | None = None,
    client_ip: str = "",
) -> dict[str, Any]:
    """Run one client action through its service (in a worker thread) and shape the ack.

    A staff action first re-reads the account (`staff`: the socket's session key and
    dialogue): a socket opened before a logout or a revoked role takes no such action, even if
    the announcement that closes it was lost. `client_ip` is the socket's client address, for
    the per-address limits the HTTP paths apply too."""
    if frame.action.staff_only and staff is not None:
        fresh, code = _staff_check(staff[0], getattr(user, "pk", None), staff[1])
        if fresh is None:
            raise AccountRevoked(code)
        user = fresh
    a = frame.args
    name = frame.action.name
    version = a.get("version")
    qid_given = a.get("question_id")
    # The protocol requires an int question_id of every action whose handler reads it.
    qid = cast(int, qid_given)

    handlers: dict[str, Callable[[], Any]] = {
        "approve": lambda: services.question_approve(
            actor=user, question_id=qid, expected_version=version
        ),
        "reject": lambda: services.question_reject(
            actor=user,
            question_id=qid,
            reason_id=a["reason_id"],
            note=a.get("note") or "",
            expected_version=version,
        ),
        "edit": lambda: services.question_edit(
            actor=user, question_id=qid, body=a["body"], expected_version=version
        ),
        "merge": lambda: services.question_merge(
            actor=user, target_id=qid, source_ids=a["source_ids"], expected_version=version
        ),
        "tag": lambda: services.question_tag(
            actor=user, question_id=qid, topic=a["topic"], expected_version=version
        ),
        "forward": lambda: services.question_forward(
            actor=user, question_id=qid, leader_id=a.get("leader_id"), expected_version=version
        ),
        "on_air": lambda: services.question_put_on_air(
            actor=user, question_id=qid, expected_version=version
        ),
        "mark_answered_live": lambda: services.question_mark_answered_live(
            actor=user, question_id=qid, expected_version=version
        ),
        "mark_written": lambda: services.question_mark_written(
            actor=user, question_id=qid, expected_version=version
        ),
    }
    if qid_given is not None:
        # A socket acts only on its own dialogue's questions.
        selectors.question_get(question_id=qid, dialogue_id=dialogue_id)
    if name == "upvote":
        question, counted = services.question_upvote(
            question_id=qid, voter_token=voter, client_ip=client_ip
        )
        return {"counted": counted, "upvote_count": question.upvote_count}
    if name in handlers:
        question = handlers[name]()
        return {"question": selectors.question_staff_dict(question)}
    if name == "reorder":
        return {
            "ordered_ids": services.question_reorder(
                actor=user, dialogue_id=dialogue_id, ordered_ids=a["ordered_ids"]
            )
        }
    if name == "off_air":
        services.question_take_off_air(actor=user, dialogue_id=dialogue_id)
        return {}
    if name == "answer":
        answer = services.answer_post(
            actor=user,
            question_id=qid,
            body=a["body"],
            leader_id=a.get("leader_id"),
            request_id=frame.request_id,
        )
        return {"answer": selectors.answer_to_dict(answer)}
    if name == "set_status":
        dialogue = services.dialogue_set_status(
            actor=user, dialogue_id=dialogue_id, status=a["status"]
        )
        return {"status": dialogue.status}
    raise AssertionError(name)


class DialogueConsumer(AsyncWebsocketConsumer):
    # Viewers get no channel-layer channel of their own: the process hub is the only member of
    # the dialogue's group, so an event costs one channel-layer message per process. (An alias
    # that is not configured makes Channels skip the per-consumer channel.)
    channel_layer_alias = "__no_layer_per_viewer__"

    audience: str
    dialogue_id: int
    last_seq: int
    hub: DialogueHub | None

    async def connect(self) -> None:
        self.hub = None
        self.watched = False
        self.closed = False
        # While True, frames from the hub wait in `buffer` until the snapshot or replay is out.
        self.syncing = True
        self.buffer: list[tuple[int, dict[str, Any]]] = []
        self.backlog: deque[dict[str, Any]] | None = None
        self.drain_task: asyncio.Task[None] | None = None
        self.stall_task: asyncio.Future[None] | None = None
        self.last_seq = 0
        self.tokens = float(ACTION_BURST)
        self.tokens_at = time.monotonic()
        self.user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            dialogue, self.audience = await _dialogue_open_shared(slug, self.user)
        except DomainError:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.dialogue = dialogue
        self.dialogue_id = dialogue.pk
        await self.accept()
        try:
            # Join the hub first and buffer, then read the state: nothing committed in between
            # can fall through the crack between the snapshot and the live stream.
            self.hub = await hub_registry().subscribe(self.dialogue_id, self)
            await self._stream_open(self.hub)
            if self.audience == selectors.STAFF:
                # Logging out or losing the role closes this socket (consult.sessions).
                await staff_watch().register(self)
                self.watched = True
        except Exception:
            logger.exception("dialogue socket %s: opening the stream failed", self.dialogue_id)
            self._close(CLOSE_SERVER_ERROR)

    def _query(self) -> dict[str, list[str]]:
        return parse_qs(self.scope.get("query_string", b"").decode("latin-1"))

    def _after_param(self) -> int | None:
        query = self._query()
        values = query.get("after")
        if not values:
            return None
        # A client that was in another audience (it logged in or out) counts another sequence.
        audience = query.get("audience")
        if audience and audience[0] != self.audience:
            return None
        try:
            return int(values[0])
        except ValueError:
            return None

    async def _stream_open(self, hub: DialogueHub) -> None:
        after = self._after_param()
        replay = None
        if after is not None:
            replay = await _read_shared(
                ("replay", self.dialogue_id, self.audience, after),
                selectors.event_list_after,
                dialogue_id=self.dialogue_id,
                audience=self.audience,
                after=after,
            )
        if replay is None or after is None:  # (no `after`, no replay)
            cached = hub.snapshot_cached(self.audience)
            if cached is None:
                cached = await _read_shared(
                    ("snapshot", self.dialogue_id, self.audience),
                    _snapshot_text,
                    dialogue=self.dialogue,
                    audience=self.audience,
                )
                hub.snapshot_store(self.audience, *cached)
            self.last_seq = cached[0]
            self._push(_text(cached[1]))
        else:
            self.last_seq = after
            self._push(_text(_dumps({"type": "resumed", "seq": after, "role": self.audience})))
            for event in replay:
                event_seq: int | None
                frame: str | None
                if self.audience == selectors.STAFF:
                    event_seq, frame = event.seq, events.staff_frame(event)
                else:
                    event_seq, frame = event.public_seq, events.public_frame(event)
                if frame is not None and event_seq is not None and event_seq == self.last_seq + 1:
                    self.last_seq = event_seq
                    self._push(_text(frame))
        # From here on nothing awaits until the buffer is flushed, so the hub cannot interleave.
        self.syncing = False
        buffered, self.buffer = self.buffer, []
        for seq, message in sorted(buffered, key=lambda item: item[0]):
            self.frame_deliver(seq, message)

    def frame_deliver(self, seq: int, message: dict[str, Any]) -> None:
        """Called by the process hub with a frame already serialised for this audience."""
        if self.syncing:
            self.buffer.append((seq, message))
            return
        if seq <= self.last_seq or self.closed:
            return
        if seq != self.last_seq + 1:
            # The hub delivers without gaps unless it could not read the database: let the
            # client reconnect with ?after= and get what it missed, or a fresh snapshot.
            self._close(CLOSE_RESYNC)
            return
        self.last_seq = seq
        self._push(message)

    # --- sending without waiting for the client --------------------------------------------

    def _push(self, message: dict[str, Any]) -> None:
        """Hand one ASGI message to the server, in order, without waiting for the client."""
        if self.backlog is not None:
            if len(self.backlog) >= MAX_BACKLOG:
                self.backlog.clear()
                self.closed = True
                message = {"type": "websocket.close", "code": CLOSE_TOO_SLOW}
                self.stall_task = asyncio.ensure_future(self._close_when_stalled())
            self.backlog.append(message)
            return
        # Servers (daphne, the test communicator) accept a frame without suspending; running
        # the send coroutine by hand costs nothing per viewer in that case. Only a send that
        # waits (a server applying back-pressure) gets a task, and the frames after it queue.
        coro: Any = self.base_send(message)
        try:
            waiting = coro.send(None)
        except StopIteration:
            return
        except Exception:
            logger.debug("dialogue socket send failed", exc_info=True)
            return
        self.backlog = deque()
        self.drain_task = asyncio.ensure_future(self._drain(coro, waiting))

    async def _close_when_stalled(self) -> None:
        await asyncio.sleep(STALLED_CLOSE_SECONDS)
        task = self.drain_task
        if task is None or task.done():
            return
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        with contextlib.suppress(Exception):
            await self.base_send({"type": "websocket.close", "code": CLOSE_TOO_SLOW})

    async def _drain(self, coro: Coroutine[Any, Any, Any], waiting: Any) -> None:
        try:
            await _resume(coro, waiting)
            while self.backlog:
                await self.base_send(self.backlog.popleft())
        except asyncio.CancelledError:
            raise
        except Exception:
            # The socket is gone or broken: stop queueing for it (its disconnect unsubscribes).
            self.closed = True
            logger.debug("dialogue socket send failed", exc_info=True)
        finally:
            self.backlog = None

    def _close(self, code: int) -> None:
        if not self.closed:
            self.closed = True
            self._push({"type": "websocket.close", "code": code})

    def _reply(self, payload: dict[str, Any]) -> None:
        if not self.closed:
            self._push(_text(_dumps(payload)))

    async def disconnect(self, code: int) -> None:
        self.closed = True
        if self.drain_task is not None and not self.drain_task.done():
            self.drain_task.cancel()
        if self.stall_task is not None and not self.stall_task.done():
            self.stall_task.cancel()
        if getattr(self, "watched", False):
            self.watched = False
            await staff_watch().unregister(self)
        if getattr(self, "hub", None) is not None:
            self.hub = None
            await hub_registry().unsubscribe(self.dialogue_id, self)

    # --- the account behind a staff socket (consult.sessions.StaffSocket) -------------------

    def _session_key(self) -> str | None:
        return getattr(self.scope.get("session"), "session_key", None)

    def watched_user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    def watched_session(self) -> str:
        return session_digest(self._session_key())

    async def account_recheck(self, ended_session: str = "") -> None:
        """The account changed (or the periodic sweep): close with 4401/4403 if this socket
        may no longer follow the dialogue as staff. The client reconnects as the public."""
        if self.closed:
            return
        if ended_session and ended_session == self.watched_session():
            self._close(CLOSE_LOGGED_OUT)
            return
        try:
            user, code = await database_sync_to_async(_staff_check)(
                self._session_key(), self.watched_user_id(), self.dialogue
            )
        except Exception:
            logger.warning("dialogue socket: re-checking the account failed", exc_info=True)
            return
        if user is None:
            self._close(code)
        else:
            self.user = user

    # --- client actions --------------------------------------------------------------------

    def _client_ip(self) -> str:
        """The client's address, as REMOTE_ADDR is for a request: behind the reverse proxy
        daphne runs with --proxy-headers and puts the forwarded address here too
        (docs/deployment.md). A supporter who drops the voter cookie is still limited per
        address over the socket, as over HTTP (services.question_upvote)."""
        client = self.scope.get("client")
        return str(client[0]) if client else ""

    def _rate_check(self) -> None:
        now = time.monotonic()
        self.tokens = min(ACTION_BURST, self.tokens + (now - self.tokens_at) * ACTION_RATE)
        self.tokens_at = now
        if self.tokens < 1:
            raise TooMany(
                _("Bạn thao tác quá nhanh. Vui lòng thử lại sau giây lát."), retry_after=1
            )
        self.tokens -= 1

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        request_id = ""
        try:
            limited: TooMany | None = None
            try:
                self._rate_check()
            except TooMany as exc:
                limited = exc
            frame = frame_parse(text_data, staff=self.audience == selectors.STAFF)
            request_id = frame.request_id
            if limited is not None:
                # Refused for its rate, but answered by its request_id, so the client knows
                # which action to send again after `retry_after`.
                raise limited
            if frame.action.name == "ping":
                self._reply({"type": "ack", "request_id": request_id, "seq": self.last_seq})
                return
            voter = self.scope.get("cookies", {}).get(VOTER_COOKIE, "")
            staff = (self._session_key(), self.dialogue) if self.watched else None
            result = await database_sync_to_async(_dispatch)(
                self.user, self.dialogue_id, frame, voter, staff, self._client_ip()
            )
        except AccountRevoked as exc:
            self._reply(
                {
                    "type": "error",
                    "request_id": request_id,
                    "code": exc.code,
                    "message": exc.message,
                }
            )
            self._close(exc.close_code)
            return
        except DomainError as exc:
            error: dict[str, Any] = {
                "type": "error",
                "request_id": getattr(exc, "request_id", request_id),
                "code": exc.code,
                "message": exc.message,
            }
            if exc.fields:
                error["fields"] = exc.fields
            if exc.data:
                error.update(exc.data)
            if isinstance(exc, TooMany):
                error["retry_after"] = exc.retry_after
            self._reply(error)
            return
        except Exception:
            logger.exception("dialogue socket action failed")
            self._reply(
                {
                    "type": "error",
                    "request_id": request_id,
                    "code": "server_error",
                    "message": _("Đã có lỗi phía máy chủ. Vui lòng thử lại."),
                }
            )
            return
        self._reply({"type": "ack", "request_id": request_id, **result})
