"""The moderators' inbox WebSocket, /ws/moderation/: live `item.changed` and `claim.changed`
frames, and claim / release actions that call moderation.claims.

Frames (JSON text):
- from the server, once on connect: {"type": "hello", "me": {id, name}, "claim_seconds": N,
  "now": server time (ISO 8601), "claims": [claim, ...]} with every live claim, so badges are
  right from the start;
- from the client: {"type": "claim" | "release", "kind", "object_id", "request_id"?} and
  {"type": "ping", "request_id"?};
- replies: {"type": "ack", "request_id", "claim": claim | null, "mine": bool} for a claim
  (the other moderator's claim when they hold it), {"type": "ack", "request_id",
  "released": bool} for a release, {"type": "error", "request_id", "code", "message"};
- pushed: {"type": "event", "event": "item.changed" | "claim.changed", "data": {...}}.
A claim is {kind, object_id, moderator: {id, name}, expires_at}.

Only moderators and administrators get a socket; anyone else is accepted and at once closed
with CLOSE_FORBIDDEN, so the page's script can tell "not allowed" from a network drop and stop
reconnecting. The account is checked again (session still logged in, account active, role
still moderator) before every action and at least every RECHECK_SECONDS while events flow, and
at once when it changes or logs out (consult.sessions announces it to every process): the
socket is then closed with CLOSE_FORBIDDEN as well.
"""

from __future__ import annotations

import json
import logging
import time
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from django.utils.translation import gettext as _

from consult import rules as consult_rules
from consult.errors import DomainError, Invalid, TooMany
from consult.sessions import ACCOUNTS_GROUP, session_digest, staff_watch
from moderation import claims, realtime

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
MAX_FRAME_CHARS = 2000
# Claims follow the keyboard (j/k moves focus and claims): a burst, then a steady rate.
ACTION_BURST = 30
ACTION_RATE = 10.0
# While only events arrive, the account is re-read at most this often.
RECHECK_SECONDS = 30.0


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _user_current(session_key: str | None, user_id: int | None) -> Any:
    """The socket's user, freshly read, if still logged in with this session (same password)
    and still an active moderator or administrator; None otherwise."""
    if not session_key or user_id is None:
        return None
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    # auth.get_user checks the session's user id, backend and password hash, as a request would.
    user = auth.get_user(SimpleNamespace(session=store))  # type: ignore[arg-type]
    if user.pk == user_id and consult_rules.is_moderator(user):
        return user
    return None


def _hello(user: Any) -> dict[str, Any]:
    return {
        "type": "hello",
        "me": {"id": user.pk, "name": user.display_name},
        "claim_seconds": claims.claim_seconds(),
        # The server's clock, so the page can tell when a claim expires despite clock skew.
        "now": timezone.now().isoformat(),
        "claims": [claims.claim_to_dict(claim) for claim in claims.claims_live()],
    }


def _dispatch(user: Any, action: str, kind: Any, object_id: Any) -> dict[str, Any]:
    if action == "claim":
        claim = claims.claim_acquire(actor=user, kind=kind, object_id=object_id)
        return {"claim": claims.claim_to_dict(claim), "mine": claim.moderator_id == user.pk}
    released = claims.claim_release(actor=user, kind=kind, object_id=object_id)
    return {"released": released}


class InboxConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope.get("user")
        self.joined = False
        self.tokens = float(ACTION_BURST)
        self.tokens_at = time.monotonic()
        self.checked_at = time.monotonic()
        await self.accept()
        if not consult_rules.is_moderator(self.user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.channel_layer.group_add(realtime.GROUP, self.channel_name)
        self.joined = True
        # Logging out or losing the role closes this socket at once (consult.sessions): this
        # process's announcements come through the registry, other processes' through the
        # socket's own channel (ended with it, like its inbox membership).
        await self.channel_layer.group_add(ACCOUNTS_GROUP, self.channel_name)
        await staff_watch().register(self, listen=False)
        await self.send(text_data=_dumps(await database_sync_to_async(_hello)(self.user)))

    async def disconnect(self, code: int) -> None:
        # Claims are not released here: a reload or a network blip must not drop them, and
        # they expire by themselves.
        if getattr(self, "joined", False):
            self.joined = False
            await staff_watch().unregister(self)
            await self.channel_layer.group_discard(ACCOUNTS_GROUP, self.channel_name)
            await self.channel_layer.group_discard(realtime.GROUP, self.channel_name)

    # consult.sessions.StaffSocket

    def watched_user_id(self) -> int | None:
        return getattr(self.user, "pk", None)

    def watched_session(self) -> str:
        return session_digest(getattr(self.scope.get("session"), "session_key", None))

    async def accounts_changed(self, message: dict[str, Any]) -> None:
        """consult.sessions' announcement from another process: an account changed."""
        if message.get("user_id") == getattr(self.user, "pk", None):
            await self.account_recheck(str(message.get("session") or ""))

    async def account_recheck(self, ended_session: str = "") -> None:
        if not self.joined:
            return
        try:
            if ended_session and ended_session == self.watched_session():
                await self.disconnect(CLOSE_FORBIDDEN)
                await self.close(code=CLOSE_FORBIDDEN)
                return
            await self._still_allowed()
        except Exception:
            logger.warning("inbox socket: re-checking the account failed", exc_info=True)

    async def _still_allowed(self) -> bool:
        session = self.scope.get("session")
        user = await database_sync_to_async(_user_current)(
            getattr(session, "session_key", None), getattr(self.user, "pk", None)
        )
        self.checked_at = time.monotonic()
        if user is None:
            await self.disconnect(CLOSE_FORBIDDEN)
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        self.user = user  # actions run with the account as it is now (name, role)
        return True

    async def moderation_event(self, message: dict[str, Any]) -> None:
        """A broadcast from moderation.realtime: forward it (it carries ids and a staff name),
        one frame per item when it names several (`more`)."""
        if not self.joined:
            return
        if time.monotonic() - self.checked_at > RECHECK_SECONDS and not await self._still_allowed():
            return
        for data in (message["data"], *message.get("more", ())):
            await self.send(
                text_data=_dumps({"type": "event", "event": message["event"], "data": data})
            )

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
        if not self.joined:
            return
        request_id = ""
        try:
            self._rate_check()
            request_id, frame = _frame_parse(text_data)
            if not await self._still_allowed():
                return
            if frame["type"] == "ping":
                await self._reply({"type": "ack", "request_id": request_id})
                return
            result = await database_sync_to_async(_dispatch)(
                self.user, frame["type"], frame.get("kind"), frame.get("object_id")
            )
        except DomainError as exc:
            error: dict[str, Any] = {
                "type": "error",
                "request_id": getattr(exc, "request_id", request_id),
                "code": exc.code,
                "message": exc.message,
            }
            if exc.fields:
                error["fields"] = exc.fields
            if isinstance(exc, TooMany):
                error["retry_after"] = exc.retry_after
            await self._reply(error)
            return
        except Exception:
            logger.exception("inbox socket action failed")
            await self._reply(
                {
                    "type": "error",
                    "request_id": request_id,
                    "code": "server_error",
                    "message": _("Đã có lỗi phía máy chủ. Vui lòng thử lại."),
                }
            )
            return
        await self._reply({"type": "ack", "request_id": request_id, **result})

    async def _reply(self, payload: dict[str, Any]) -> None:
        await self.send(text_data=_dumps(payload))


def _frame_parse(text: str | None) -> tuple[str, dict[str, Any]]:
    """Check a client frame's shape and return its request_id and the frame; the claim
    services check the values (kind, object_id)."""
    if text is None:
        raise Invalid(_("Chỉ nhận khung văn bản JSON."), code="bad_frame")
    if len(text) > MAX_FRAME_CHARS:
        raise Invalid(_("Khung dữ liệu quá dài."), code="bad_frame")
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        raise Invalid(_("Khung dữ liệu không phải JSON hợp lệ."), code="bad_frame") from None
    if not isinstance(frame, dict):
        raise Invalid(_("Khung dữ liệu phải là một đối tượng JSON."), code="bad_frame")
    request_id = frame.get("request_id", "")
    if not isinstance(request_id, str) or len(request_id) > 100:
        raise Invalid(_("request_id không hợp lệ."), code="bad_frame")
    if frame.get("type") not in ("claim", "release", "ping"):
        error = Invalid(_("Thao tác không được hỗ trợ."), code="unknown_type")
        setattr(error, "request_id", request_id)  # noqa: B010 -- echoed in the error frame
        raise error
    return request_id, frame
