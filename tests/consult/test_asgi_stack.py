"""The WebSocket stack (consult/asgi_stack.py): a socket without a session cookie is anonymous
without a trip to a worker thread; a socket with one is resolved by Channels as before."""

from __future__ import annotations

from typing import Any

import pytest
from channels import auth as channels_auth

from tests.livechat.test_consumers import ws_open

pytestmark = pytest.mark.django_db(transaction=True)


def _counting_get_user(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    real = channels_auth.get_user

    async def counting(scope: Any) -> Any:
        calls.append(scope.get("session"))
        return await real(scope)

    monkeypatch.setattr(channels_auth, "get_user", counting)
    return calls


async def test_socket_without_session_cookie_is_public_without_a_user_lookup(dialogue, monkeypatch):
    calls = _counting_get_user(monkeypatch)
    communicator, first = await ws_open(dialogue.slug)
    try:
        assert first is not None and first["type"] == "snapshot" and first["role"] == "public"
        assert calls == []
    finally:
        await communicator.disconnect()


async def test_socket_with_an_unknown_session_cookie_is_looked_up_and_public(dialogue, monkeypatch):
    calls = _counting_get_user(monkeypatch)
    from channels.testing import WebsocketCommunicator

    from asgi import application

    communicator = WebsocketCommunicator(
        application,
        f"/ws/dialogues/{dialogue.slug}/",
        headers=[
            (b"origin", b"http://testserver"),
            (b"cookie", b"sessionid=abcdefghijklmnopqrstuvwxyz012345"),
        ],
    )
    connected, _code = await communicator.connect(timeout=5)
    try:
        assert connected
        first = await communicator.receive_json_from(timeout=5)
        assert first["role"] == "public"
        assert len(calls) == 1
    finally:
        await communicator.disconnect()


async def test_socket_of_a_logged_in_moderator_is_resolved_to_staff(
    dialogue, moderator, monkeypatch
):
    calls = _counting_get_user(monkeypatch)
    communicator, first = await ws_open(dialogue.slug, user=moderator)
    try:
        assert first is not None and first["role"] == "staff"
        assert len(calls) == 1
    finally:
        await communicator.disconnect()
