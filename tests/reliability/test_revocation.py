"""Logging out, a role revoked, an account disabled or a password changed closes that user's
open staff sockets within seconds (dialogue console/presenter: 4401 or 4403, then the page
reconnects as the public; moderators' inbox: 4403), and a staff action from a socket whose
account lost the right is refused even when no announcement arrived.

Over the real ASGI stack in this process (in-memory channel layer, or Redis when REDIS_URL is
set: CI runs both), and across two daphne processes sharing a private Redis: a logout served
by one process closes the socket held by the other.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.test import Client

from asgi import application
from consult.models import User
from consult.sessions import ACCOUNT_CHANGED, ACCOUNTS_GROUP, CLOSE_LOGGED_OUT, CLOSE_NOT_ALLOWED
from livechat import services
from livechat.models import Question
from tests.conftest import QUESTION_DEFAULTS
from tests.reliability.conftest import redis_env
from tests.reliability.live import Browser, LiveClient, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ORIGIN = b"http://testserver"
# "Within seconds": the close must arrive this fast (it normally takes milliseconds).
WITHIN = 3.0


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


async def open_socket(path: str, client: Client | None) -> tuple[WebsocketCommunicator, Any]:
    headers = [(b"origin", ORIGIN)]
    if client is not None:
        headers.append((b"cookie", f"sessionid={client.cookies['sessionid'].value}".encode()))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _code = await communicator.connect(timeout=5)
    assert connected
    return communicator, await communicator.receive_json_from(timeout=5)


async def close_code(communicator: WebsocketCommunicator, wait: float = WITHIN) -> int | None:
    """Read until the server closes the socket; its code (None: still open after `wait`).

    Waits with `receive_nothing`, which leaves the application running (a timed-out
    `receive_output` would cancel it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while loop.time() < deadline:
        if await communicator.receive_nothing(timeout=min(0.05, deadline - loop.time())):
            continue
        message = await communicator.receive_output(timeout=1)
        if message["type"] == "websocket.close":
            return message.get("code")
    return None


def save(user: User, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(user, name, value)
    user.save()


def dialogue_path(dialogue: Any) -> str:
    return f"/ws/dialogues/{dialogue.slug}/"


async def test_moderator_logging_out_closes_their_dialogue_socket(dialogue, moderator):
    client = await database_sync_to_async(logged_in)(moderator)
    communicator, first = await open_socket(dialogue_path(dialogue), client)
    try:
        assert first["role"] == "staff"
        await database_sync_to_async(client.post)("/accounts/logout/")
        assert await close_code(communicator) == CLOSE_LOGGED_OUT
    finally:
        await communicator.disconnect()
    # The page reconnects (?after=…&audience=staff) and is now the public.
    again, first = await open_socket(
        dialogue_path(dialogue) + f"?after={first['seq']}&audience=staff", client
    )
    try:
        assert first["type"] == "snapshot" and first["role"] == "public"
    finally:
        await again.disconnect()


async def test_logging_out_one_browser_leaves_the_same_users_other_browser_open(
    dialogue, moderator
):
    laptop = await database_sync_to_async(logged_in)(moderator)
    phone = await database_sync_to_async(logged_in)(moderator)
    on_laptop, _ = await open_socket(dialogue_path(dialogue), laptop)
    on_phone, _ = await open_socket(dialogue_path(dialogue), phone)
    try:
        await database_sync_to_async(laptop.post)("/accounts/logout/")
        assert await close_code(on_laptop) == CLOSE_LOGGED_OUT
        assert await close_code(on_phone, wait=0.5) is None
    finally:
        await on_laptop.disconnect()
        await on_phone.disconnect()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"role": ""}, CLOSE_NOT_ALLOWED),
        ({"role": "agency_staff"}, CLOSE_NOT_ALLOWED),
        ({"is_active": False}, CLOSE_NOT_ALLOWED),
        ("password", CLOSE_LOGGED_OUT),
    ],
    ids=["role_revoked", "now_agency_staff", "disabled", "password_changed"],
)
async def test_moderator_whose_account_changed_has_their_sockets_closed(
    dialogue, moderator, moderator2, change, code
):
    client = await database_sync_to_async(logged_in)(moderator)
    bystander = await database_sync_to_async(logged_in)(moderator2)
    console, _ = await open_socket(dialogue_path(dialogue), client)
    inbox, hello = await open_socket("/ws/moderation/", client)
    other, _ = await open_socket(dialogue_path(dialogue), bystander)
    assert hello["type"] == "hello"
    try:
        if change == "password":
            await database_sync_to_async(
                lambda: (moderator.set_password("a-new-password-456"), moderator.save())
            )()
        else:
            await database_sync_to_async(save)(moderator, **change)
        codes = await asyncio.gather(close_code(console), close_code(inbox))
        assert codes == [code, 4403]  # the inbox script stops on 4403 whatever the cause
        # Another moderator's sockets are untouched.
        assert await close_code(other, wait=0.3) is None
    finally:
        for communicator in (console, inbox, other):
            await communicator.disconnect()


async def test_leader_losing_the_role_has_the_presenter_socket_closed(dialogue, leader_user):
    client = await database_sync_to_async(logged_in)(leader_user)
    presenter, first = await open_socket(dialogue_path(dialogue), client)
    try:
        assert first["role"] == "staff"
        await database_sync_to_async(save)(leader_user, role="", leader=None)
        assert await close_code(presenter) == CLOSE_NOT_ALLOWED
    finally:
        await presenter.disconnect()


async def test_saving_an_unrelated_field_keeps_the_socket_open(dialogue, moderator):
    client = await database_sync_to_async(logged_in)(moderator)
    console, _ = await open_socket(dialogue_path(dialogue), client)
    try:
        await database_sync_to_async(save)(moderator, full_name="Lê Biên Tập (mới)")
        assert await close_code(console, wait=0.5) is None
    finally:
        await console.disconnect()


async def test_moderator_revoked_without_a_signal_cannot_act_on_an_open_socket(dialogue, moderator):
    # A bulk update sends no signal (and a lost announcement looks the same): the per-action
    # check still refuses, and closes the socket.
    question, _created = await database_sync_to_async(services.question_submit)(
        dialogue_id=dialogue.pk, **QUESTION_DEFAULTS
    )
    client = await database_sync_to_async(logged_in)(moderator)
    console, _ = await open_socket(dialogue_path(dialogue), client)
    try:
        await database_sync_to_async(User.objects.filter(pk=moderator.pk).update)(role="")
        await console.send_json_to(
            {"type": "approve", "request_id": "after-revoke", "question_id": question.pk}
        )
        reply = await console.receive_json_from(timeout=5)
        assert reply["type"] == "error" and reply["code"] == "forbidden"
        assert reply["request_id"] == "after-revoke"
        assert await close_code(console) == CLOSE_NOT_ALLOWED
    finally:
        await console.disconnect()
    status = await database_sync_to_async(
        lambda: Question.objects.values_list("status", flat=True).get(pk=question.pk)
    )()
    assert status == "pending"


async def test_a_process_whose_first_accounts_join_failed_still_hears_other_processes(
    dialogue, moderator, monkeypatch
):
    """Joining the accounts group failed as the first staff socket opened (a Redis hiccup): the
    registry joins within seconds and hears another process's announcement. Its reads of its
    own channel succeed without the group, so it used to stay deaf until the 30 s sweep."""
    layer = get_channel_layer()
    group_add = layer.group_add
    refused: list[str] = []
    joined: list[str] = []

    async def group_add_failing_once(group: str, channel: str) -> None:
        if group == ACCOUNTS_GROUP and not refused:
            refused.append(channel)
            raise ConnectionError("Connection closed by server.")  # as redis-py says it
        await group_add(group, channel)
        if group == ACCOUNTS_GROUP:
            joined.append(channel)

    monkeypatch.setattr(layer, "group_add", group_add_failing_once)
    client = await database_sync_to_async(logged_in)(moderator)
    console, _ = await open_socket(dialogue_path(dialogue), client)
    try:
        assert refused
        await wait_until(
            lambda: joined == refused, wait=WITHIN, what="the registry joined the group"
        )
        # Disabled by a process that tells only the group (a bulk update sends no signal here).
        await database_sync_to_async(User.objects.filter(pk=moderator.pk).update)(is_active=False)
        await layer.group_send(
            ACCOUNTS_GROUP, {"type": ACCOUNT_CHANGED, "user_id": moderator.pk, "session": ""}
        )
        assert await close_code(console) == CLOSE_NOT_ALLOWED
    finally:
        await console.disconnect()


@pytest.mark.slow
async def test_logout_served_by_another_process_closes_the_staff_socket(
    asgi_server, private_redis, dialogue, moderator
):
    env = redis_env(private_redis)
    holding = await asyncio.to_thread(asgi_server, env=env)
    serving = await asyncio.to_thread(asgi_server, env=env)
    browser = Browser(serving.url)
    await asyncio.to_thread(browser.csrf_token, "/accounts/login/")
    client = await database_sync_to_async(logged_in)(moderator)
    session = client.cookies["sessionid"].value
    browser.set_cookie("sessionid", session)
    console = LiveClient(
        holding.ws_url, dialogue.slug, origin=holding.url, cookie=f"sessionid={session}"
    )
    first = await console.connect()
    assert first["role"] == "staff"
    try:
        reply = await asyncio.to_thread(browser.request, "POST", "/accounts/logout/")
        assert reply.status == 302, reply.body[:300]
        closed: list[int] = []

        async def read_until_closed() -> None:
            import websockets

            try:
                while True:
                    await console.read_one(wait=WITHIN + 2)
            except websockets.ConnectionClosed as error:
                closed.append(error.rcvd.code if error.rcvd else 0)

        await asyncio.wait_for(read_until_closed(), WITHIN + 3)
        assert closed == [CLOSE_LOGGED_OUT]
        # It reconnects as the public.
        console.ws = None
        again = await console.connect()
        assert again["type"] == "snapshot" and again["role"] == "public"
        await wait_until(lambda: console.role == "public", wait=1, what="public")
    finally:
        await console.close()
