"""The WebSocket middleware stack: Channels' AuthMiddlewareStack without the send wrapper.

Channels' SessionMiddleware wraps the server's `send` so it can save the session and set its
cookie on `http.response.start`. A WebSocket never sends that message, yet the wrapper still
inspects the session for every frame (`is_empty()` raises and catches AttributeError while the
session was never loaded) before passing the frame on. On a live dialogue that ran once per
viewer per event and cost about a fifth of the per-viewer CPU of a broadcast under daphne
(docs/performance.md). Here the session is resolved exactly as Channels does it and put in
the scope, and the consumer gets the server's own `send`. A WebSocket consumer that changes
the session must save it itself, as with Channels' stack.

A socket without a session cookie is anonymous: its user is set without Channels' trip to a
worker thread (`get_user` is a `database_sync_to_async` call that, without a session key,
reads nothing). Under daphne those trips queue on one thread, and in a connect storm of
public viewers every socket made one.
"""

from __future__ import annotations

from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, InstanceSessionWrapper, SessionMiddleware
from django.contrib.auth.models import AnonymousUser


class WebSocketSessionMiddleware(SessionMiddleware):
    """SessionMiddleware that hands the server's `send` to the application unwrapped."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            return await super().__call__(scope, receive, send)
        wrapper = InstanceSessionWrapper(scope, send)
        await wrapper.resolve_session()
        return await self.inner(wrapper.scope, receive, send)


class WebSocketAuthMiddleware(AuthMiddleware):
    """AuthMiddleware that resolves a session without a key to the anonymous user at once
    (what channels.auth.get_user returns for it, without the worker thread)."""

    async def resolve_scope(self, scope: Any) -> None:
        if scope["session"].session_key is None:
            scope["user"]._wrapped = AnonymousUser()
            return
        await super().resolve_scope(scope)


def WebSocketAuthMiddlewareStack(inner: Any) -> Any:
    """Cookies, session and user in the scope, like channels.auth.AuthMiddlewareStack."""
    return CookieMiddleware(WebSocketSessionMiddleware(WebSocketAuthMiddleware(inner)))
