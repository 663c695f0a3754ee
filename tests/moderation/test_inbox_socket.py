"""The moderators' inbox socket over the real ASGI stack (Origin check, session auth, routing):
two moderators see each other's claims live, claims expire and are taken over, the decision
guard asks for confirmation, only moderators get in, bad frames get error frames.

Runs on the in-memory channel layer by default and on real Redis when REDIS_URL is set.
Services run in worker threads on committed transactions, so broadcasts go out after commit
exactly as in production.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from importlib import import_module
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from asgi import application
from consult.errors import Conflict
from moderation import claims, realtime
from moderation.consumers import CLOSE_FORBIDDEN, MAX_FRAME_CHARS
from moderation.models import Claim
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"
PATH = "/ws/moderation/"


def login(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def ws_connect(
    user: Any = None, *, origin: bytes | None = ORIGIN, session: str | None = None
) -> tuple[WebsocketCommunicator, bool, Any]:
    headers = []
    if origin is not None:
        headers.append((b"origin", origin))
    if session is None and user is not None:
        session = await database_sync_to_async(login)(user)
    if session is not None:
        headers.append((b"cookie", f"sessionid={session}".encode()))
    communicator = WebsocketCommunicator(application, PATH, headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def ws_open(user: Any, *, session: str | None = None) -> tuple[WebsocketCommunicator, dict]:
    """Open the inbox socket as a moderator and read the hello frame."""
    communicator, connected, _code = await ws_connect(user, session=session)
    assert connected, "the inbox socket was refused"
    hello = await communicator.receive_json_from(timeout=5)
    assert hello["type"] == "hello", hello
    return communicator, hello


async def send(
    communicator: WebsocketCommunicator, payload: dict[str, Any] | str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Send one frame; return the reply (ack or error) and the events that came with it."""
    if isinstance(payload, str):
        await communicator.send_to(text_data=payload)
    else:
        await communicator.send_json_to(payload)
    events = []
    for _ in range(20):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] in ("ack", "error"):
            # The broadcast of this action's own change follows its ack.
            while not await communicator.receive_nothing(timeout=0.2):
                events.append(await communicator.receive_json_from(timeout=1))
            return frame, events
        events.append(frame)
    raise AssertionError("no reply to the frame")


async def next_event(communicator: WebsocketCommunicator) -> dict[str, Any]:
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "event", frame
    return frame


async def closed_with(communicator: WebsocketCommunicator) -> int:
    """Read up to the close frame and return its code (frames before it are skipped)."""
    for _ in range(10):
        output = await communicator.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output.get("code", 1000)
    raise AssertionError("the socket was not closed")


def claim_frame(object_id: int = 7, kind: str = "question", **extra: Any) -> dict[str, Any]:
    return {"type": "claim", "kind": kind, "object_id": object_id, **extra}


class Clock:
    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    # Worker threads read the same module attribute, so the services see this clock too.
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def _connection_close() -> None:
    connection.close()


@pytest.fixture(autouse=True)
async def clean_layer():
    yield
    layer = get_channel_layer()
    if layer is not None:
        await layer.flush()
    await database_sync_to_async(_connection_close)()


# --- two moderators ------------------------------------------------------------------------


async def test_moderator_sees_another_moderators_claim_live_and_cannot_take_it(
    moderator, moderator2, clock
):
    a, hello_a = await ws_open(moderator)
    b, _hello_b = await ws_open(moderator2)
    try:
        assert hello_a["me"] == {"id": moderator.pk, "name": "Lê Biên Tập"}
        assert hello_a["claims"] == []
        assert hello_a["claim_seconds"] == 120
        assert dt.datetime.fromisoformat(hello_a["now"]) == clock.now

        ack, events = await send(a, claim_frame(request_id="r1"))
        assert ack["type"] == "ack" and ack["request_id"] == "r1"
        assert ack["mine"] is True
        assert ack["claim"]["moderator"] == {"id": moderator.pk, "name": "Lê Biên Tập"}
        expires_at = ack["claim"]["expires_at"]
        assert dt.datetime.fromisoformat(expires_at) == clock.now + dt.timedelta(seconds=120)
        assert [e["event"] for e in events] == ["claim.changed"]

        seen_by_b = await next_event(b)
        assert seen_by_b == {
            "type": "event",
            "event": "claim.changed",
            "data": {
                "kind": "question",
                "object_id": 7,
                "moderator": {"id": moderator.pk, "name": "Lê Biên Tập"},
                "expires_at": expires_at,
            },
        }

        # B opens the same item: A's claim comes back unchanged and nobody is told anything.
        clock.advance(60)
        ack, events = await send(b, claim_frame(request_id="r2"))
        assert ack["mine"] is False
        assert ack["claim"]["moderator"]["name"] == "Lê Biên Tập"
        assert ack["claim"]["expires_at"] == expires_at
        assert events == []
        assert await a.receive_nothing(timeout=0.3)

        # The guard before a decision: B must confirm.
        with pytest.raises(Conflict) as caught:
            await database_sync_to_async(claims.claim_check)(
                actor=moderator2, kind="question", object_id=7, confirmed=False
            )
        assert caught.value.code == "claimed"
        assert "Lê Biên Tập" in caught.value.message
        await database_sync_to_async(claims.claim_check)(
            actor=moderator2, kind="question", object_id=7, confirmed=True
        )
        await database_sync_to_async(claims.claim_check)(
            actor=moderator, kind="question", object_id=7, confirmed=False
        )
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_moderator_takes_over_a_claim_after_it_expired_and_the_other_sees_it(
    moderator, moderator2, clock
):
    a, _ = await ws_open(moderator)
    b, _ = await ws_open(moderator2)
    try:
        await send(a, claim_frame())
        await next_event(b)
        clock.advance(121)  # A walked away: no refresh for longer than CLAIM_SECONDS

        ack, _events = await send(b, claim_frame())
        assert ack["mine"] is True
        assert ack["claim"]["moderator"] == {"id": moderator2.pk, "name": "Phạm Biên Tập"}
        seen_by_a = await next_event(a)
        assert seen_by_a["event"] == "claim.changed"
        assert seen_by_a["data"]["moderator"]["name"] == "Phạm Biên Tập"

        # Now A is the one asked to confirm.
        with pytest.raises(Conflict) as caught:
            await database_sync_to_async(claims.claim_check)(
                actor=moderator, kind="question", object_id=7, confirmed=False
            )
        assert "Phạm Biên Tập" in caught.value.message
        await database_sync_to_async(claims.claim_check)(
            actor=moderator2, kind="question", object_id=7, confirmed=False
        )
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_moderator_refreshing_own_claim_keeps_it_past_the_first_expiry(
    moderator, moderator2, clock
):
    a, _ = await ws_open(moderator)
    b, _ = await ws_open(moderator2)
    try:
        await send(a, claim_frame())
        await next_event(b)
        clock.advance(100)
        ack, _events = await send(a, claim_frame())  # still on it: the focus came back
        refreshed = await next_event(b)
        assert refreshed["data"]["expires_at"] == ack["claim"]["expires_at"]
        clock.advance(100)  # 200 s after the first claim, 100 s after the refresh
        ack, _events = await send(b, claim_frame())
        assert ack["mine"] is False
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_moderator_releases_own_claim_and_the_other_sees_the_item_free(moderator, moderator2):
    a, _ = await ws_open(moderator)
    b, _ = await ws_open(moderator2)
    try:
        await send(a, claim_frame(object_id=3, kind="comment"))
        await next_event(b)

        error, _events = await send(
            b, {"type": "release", "kind": "comment", "object_id": 3, "request_id": "x"}
        )
        assert error["type"] == "error" and error["code"] == "forbidden"
        assert error["request_id"] == "x"
        assert await a.receive_nothing(timeout=0.2)

        ack, _events = await send(a, {"type": "release", "kind": "comment", "object_id": 3})
        assert ack == {"type": "ack", "request_id": "", "released": True}
        freed = await next_event(b)
        assert freed["data"] == {
            "kind": "comment",
            "object_id": 3,
            "moderator": None,
            "expires_at": None,
        }
        ack, _events = await send(b, claim_frame(object_id=3, kind="comment"))
        assert ack["mine"] is True
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_admin_can_release_a_moderators_claim_over_the_socket(moderator, admin_user):
    a, _ = await ws_open(moderator)
    admin, _ = await ws_open(admin_user)
    try:
        await send(a, claim_frame())
        await next_event(admin)
        ack, _events = await send(admin, {"type": "release", "kind": "question", "object_id": 7})
        assert ack["released"] is True
        assert (await next_event(a))["data"]["moderator"] is None
    finally:
        await a.disconnect()
        await admin.disconnect()


async def test_moderator_connecting_later_gets_the_live_claims_in_hello(moderator, moderator2):
    a, _ = await ws_open(moderator)
    try:
        await send(a, claim_frame(object_id=11))
    finally:
        await a.disconnect()
    # Closing the socket did not release the claim (a reload must not drop it).
    assert await database_sync_to_async(Claim.objects.count)() == 1
    b, hello = await ws_open(moderator2)
    try:
        assert [(c["kind"], c["object_id"], c["moderator"]["name"]) for c in hello["claims"]] == [
            ("question", 11, "Lê Biên Tập")
        ]
    finally:
        await b.disconnect()


async def test_moderators_see_item_changed_when_the_inbox_changes(moderator, moderator2):
    a, _ = await ws_open(moderator)
    b, _ = await ws_open(moderator2)
    try:
        await database_sync_to_async(realtime.inbox_changed)(kind="comment", object_id=5)
        for communicator in (a, b):
            assert await next_event(communicator) == {
                "type": "event",
                "event": "item.changed",
                "data": {"kind": "comment", "object_id": 5},
            }
    finally:
        await a.disconnect()
        await b.disconnect()


async def test_items_changed_together_reach_the_inbox_as_one_frame_each(moderator):
    # A batch of questions committed together rings once; the browser still gets one
    # `item.changed` per item, in order.
    a, _ = await ws_open(moderator)
    try:
        await database_sync_to_async(realtime.inbox_changed_many)(
            kind="question", object_ids=[7, 8, 9]
        )
        frames = [await next_event(a) for _ in range(3)]
        assert [(f["event"], f["data"]) for f in frames] == [
            ("item.changed", {"kind": "question", "object_id": n}) for n in (7, 8, 9)
        ]
        assert await a.receive_nothing(timeout=0.05)
    finally:
        await a.disconnect()


# --- who may connect -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["leader", "agency_staff", ""])
async def test_non_moderator_cannot_open_the_inbox_socket(role, moderator):
    user = await database_sync_to_async(make_user)(role)
    watcher, _ = await ws_open(moderator)
    communicator, connected, _code = await ws_connect(user)
    try:
        assert connected  # accepted, then closed with a code the script understands
        assert await closed_with(communicator) == CLOSE_FORBIDDEN
        # Nothing the refused socket could have caused reached the group.
        assert await watcher.receive_nothing(timeout=0.2)
    finally:
        await communicator.disconnect()
        await watcher.disconnect()


async def test_anonymous_cannot_open_the_inbox_socket():
    communicator, connected, _code = await ws_connect(None)
    try:
        assert connected
        assert await closed_with(communicator) == CLOSE_FORBIDDEN
    finally:
        await communicator.disconnect()


async def test_non_moderator_is_not_told_about_claims(moderator, leader_user):
    communicator, _connected, _code = await ws_connect(leader_user)
    try:
        assert await closed_with(communicator) == CLOSE_FORBIDDEN
        a, _ = await ws_open(moderator)
        try:
            await send(a, claim_frame())
        finally:
            await a.disconnect()
        assert await communicator.receive_nothing(timeout=0.2)
    finally:
        await communicator.disconnect()


@pytest.mark.parametrize(
    "origin", [b"http://evil.example", b"null", b"http://testserver.evil.example", None]
)
async def test_moderator_cannot_connect_from_a_foreign_origin(moderator, origin):
    communicator, connected, _code = await ws_connect(moderator, origin=origin)
    try:
        assert not connected
    finally:
        await communicator.disconnect()


async def test_moderator_logged_out_elsewhere_is_closed_on_the_next_action(moderator):
    session = await database_sync_to_async(login)(moderator)
    a, _ = await ws_open(moderator, session=session)
    try:
        engine = import_module(settings.SESSION_ENGINE)
        await database_sync_to_async(lambda: engine.SessionStore(session).delete())()
        await a.send_json_to(claim_frame())
        assert await closed_with(a) == CLOSE_FORBIDDEN
        assert await database_sync_to_async(Claim.objects.count)() == 0
    finally:
        await a.disconnect()


@pytest.mark.parametrize("change", ["disabled", "now_a_leader", "password_changed"])
async def test_moderator_whose_account_changed_is_closed_on_the_next_action(
    moderator, moderator2, change
):
    a, _ = await ws_open(moderator)
    b, _ = await ws_open(moderator2)

    def account_change() -> None:
        if change == "disabled":
            moderator.is_active = False
        elif change == "now_a_leader":
            moderator.role = "leader"
        else:
            moderator.set_password("a-new-password-456")
        moderator.save()

    try:
        await database_sync_to_async(account_change)()
        await a.send_json_to(claim_frame())
        assert await closed_with(a) == CLOSE_FORBIDDEN
        assert await database_sync_to_async(Claim.objects.count)() == 0
        # The socket left the group: later broadcasts reach only the others.
        await database_sync_to_async(realtime.inbox_changed)(kind="question", object_id=1)
        assert (await next_event(b))["event"] == "item.changed"
    finally:
        await a.disconnect()
        await b.disconnect()


# --- bad frames ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("not json", "bad_frame"),
        ("[1, 2]", "bad_frame"),
        ('"claim"', "bad_frame"),
        ("{}", "unknown_type"),
        ('{"type": "approve", "kind": "question", "object_id": 7}', "unknown_type"),
        ('{"type": "moderation.event", "event": "item.changed"}', "unknown_type"),
        ('{"type": "claim", "request_id": 5}', "bad_frame"),
        ('{"type": "claim", "request_id": "' + "r" * 101 + '"}', "bad_frame"),
        ('{"type": "claim"}', "invalid"),
        ('{"type": "claim", "kind": "dialogue", "object_id": 7}', "invalid"),
        ('{"type": "claim", "kind": "question", "object_id": "7; DROP TABLE"}', "invalid"),
        ('{"type": "claim", "kind": "question", "object_id": -1}', "invalid"),
        ('{"type": "claim", "kind": "question", "object_id": 1e400}', "invalid"),
        ('{"type": "release", "kind": {"a": 1}, "object_id": 7}', "invalid"),
        ("x" * (MAX_FRAME_CHARS + 1), "bad_frame"),
    ],
)
async def test_moderator_gets_an_error_frame_for_a_bad_frame_and_the_socket_stays_usable(
    moderator, text, code
):
    a, _ = await ws_open(moderator)
    try:
        error, events = await send(a, text)
        assert error["type"] == "error", error
        assert error["code"] == code
        assert error["message"]
        assert events == []
        assert await database_sync_to_async(Claim.objects.count)() == 0
        ack, _events = await send(a, claim_frame(request_id="after"))
        assert ack["type"] == "ack" and ack["request_id"] == "after" and ack["mine"] is True
    finally:
        await a.disconnect()


async def test_unknown_type_error_echoes_the_request_id(moderator):
    a, _ = await ws_open(moderator)
    try:
        error, _events = await send(a, {"type": "frobnicate", "request_id": "q9"})
        assert (error["code"], error["request_id"]) == ("unknown_type", "q9")
    finally:
        await a.disconnect()


async def test_binary_frame_gets_an_error_frame(moderator):
    a, _ = await ws_open(moderator)
    try:
        await a.send_to(bytes_data=b"\x00\x01")
        error = await a.receive_json_from(timeout=5)
        assert (error["type"], error["code"]) == ("error", "bad_frame")
    finally:
        await a.disconnect()


async def test_ping_is_acknowledged(moderator):
    a, _ = await ws_open(moderator)
    try:
        ack, _events = await send(a, {"type": "ping", "request_id": "p"})
        assert ack == {"type": "ack", "request_id": "p"}
    finally:
        await a.disconnect()


async def test_moderator_flooding_the_socket_is_slowed_down_not_disconnected(moderator):
    a, _ = await ws_open(moderator)
    try:
        for _ in range(60):
            await a.send_to(text_data=json.dumps({"type": "ping"}))
        replies = [await a.receive_json_from(timeout=5) for _ in range(60)]
        codes = {reply.get("code") for reply in replies if reply["type"] == "error"}
        assert codes == {"too_many_requests"}
        assert sum(reply["type"] == "ack" for reply in replies) >= 30
        await asyncio.sleep(0.5)  # the bucket refills
        ack, _events = await send(a, {"type": "ping", "request_id": "later"})
        assert ack["type"] == "ack"
    finally:
        await a.disconnect()
