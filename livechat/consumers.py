"""The dialogue WebSocket: snapshot or replay on connect, live frames from the process hub,
and client actions that call the same services as the HTML forms and the JSON API."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.serializers.json import DjangoJSONEncoder

from consult.errors import DomainError, NotAllowed
from livechat import events, selectors, services
from livechat.fanout import DialogueHub, hub_registry
from livechat.protocol import ClientFrame, frame_parse

logger = logging.getLogger(__name__)

VOTER_COOKIE = "consult_voter"


def _dumps(payload: dict[str, Any]) -> str:
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def _dispatch(user: Any, dialogue_id: int, frame: ClientFrame, voter: str) -> dict[str, Any]:
    """Run one client action through its service (in a worker thread) and shape the ack."""
    a = frame.args
    name = frame.action.name
    version = a.get("version")
    qid = a.get("question_id")

    def in_dialogue() -> None:
        if qid is not None:
            selectors.question_get(question_id=qid, dialogue_id=dialogue_id)

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
    if name == "ping":
        return {}
    in_dialogue()
    if name == "upvote":
        question, counted = services.question_upvote(question_id=qid, voter_token=voter)
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
    # the dialogue's group, so an event costs one channel-layer message per process.
    channel_layer_alias = "__no_layer_per_viewer__"

    audience: str
    dialogue_id: int
    last_seq: int
    hub: DialogueHub | None

    async def connect(self) -> None:
        self.hub = None
        self.syncing = True
        self.buffer: list[tuple[int, str]] = []
        self.user = self.scope.get("user")
        slug = self.scope["url_route"]["kwargs"]["slug"]
        try:
            dialogue = await database_sync_to_async(selectors.dialogue_get)(
                slug=slug, viewer=self.user
            )
        except DomainError:
            await self.close(code=4404)
            return
        self.dialogue_id = dialogue.pk
        self.audience = await database_sync_to_async(selectors.audience_for)(self.user, dialogue)
        await self.accept()
        # Join the hub first and buffer, then read the state: nothing committed in between
        # can fall through the crack between the snapshot and the live stream.
        self.hub = await hub_registry().subscribe(self.dialogue_id, self)
        after = self._after_param()
        replay = None
        if after is not None:
            replay = await database_sync_to_async(selectors.event_list_after)(
                dialogue_id=self.dialogue_id, audience=self.audience, after=after
            )
        if replay is None:
            snapshot = await database_sync_to_async(selectors.snapshot_build)(
                dialogue=dialogue, audience=self.audience
            )
            snapshot["role"] = self.audience
            self.last_seq = snapshot["seq"]
            await self.send(text_data=_dumps(snapshot))
        else:
            self.last_seq = after
            await self._events_send(replay)
        await self._buffer_flush()

    def _after_param(self) -> int | None:
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        values = query.get("after")
        if not values:
            return None
        try:
            return int(values[0])
        except ValueError:
            return None

    async def _events_send(self, replay: list[Any]) -> None:
        for event in replay:
            if self.audience == selectors.STAFF:
                seq, text = event.seq, events.staff_frame(event)
            else:
                seq, text = event.public_seq, events.public_frame(event)
            if text is not None and seq == self.last_seq + 1:
                self.last_seq = seq
                await self.send(text_data=text)

    async def _buffer_flush(self) -> None:
        while self.buffer:
            buffered, self.buffer = self.buffer, []
            for seq, text in sorted(buffered):
                await self._frame_send(seq, text)
        self.syncing = False

    async def frame_deliver(self, seq: int, text: str) -> None:
        """Called by the process hub with a frame already serialised for this audience."""
        if self.syncing:
            self.buffer.append((seq, text))
            return
        await self._frame_send(seq, text)

    async def _frame_send(self, seq: int, text: str) -> None:
        if seq <= self.last_seq:
            return
        if seq > self.last_seq + 1:
            # A frame raced ahead of our snapshot: read the few missing events ourselves.
            missed = await database_sync_to_async(selectors.event_list_after)(
                dialogue_id=self.dialogue_id, audience=self.audience, after=self.last_seq
            )
            if missed is None:
                await self.close(code=4409)
                return
            await self._events_send(
                [
                    e
                    for e in missed
                    if (e.seq if self.audience == selectors.STAFF else e.public_seq) < seq
                ]
            )
        if seq == self.last_seq + 1:
            self.last_seq = seq
            await self.send(text_data=text)

    async def disconnect(self, code: int) -> None:
        if getattr(self, "hub", None) is not None:
            await hub_registry().unsubscribe(self.dialogue_id, self)
            self.hub = None

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        request_id = ""
        try:
            frame = frame_parse(text_data)
            request_id = frame.request_id
            if frame.action.staff_only and self.audience != selectors.STAFF:
                raise NotAllowed("Thao tác này chỉ dành cho cán bộ đã đăng nhập.")
            voter = self.scope.get("cookies", {}).get(VOTER_COOKIE, "")
            result = await database_sync_to_async(_dispatch)(
                self.user, self.dialogue_id, frame, voter
            )
        except DomainError as exc:
            error = {
                "type": "error",
                "request_id": request_id,
                "code": exc.code,
                "message": exc.message,
            }
            if exc.fields:
                error["fields"] = exc.fields
            if exc.data:
                error.update(exc.data)
            await self.send(text_data=_dumps(error))
            return
        except Exception:
            logger.exception("dialogue socket action failed")
            await self.send(
                text_data=_dumps(
                    {
                        "type": "error",
                        "request_id": request_id,
                        "code": "server_error",
                        "message": "Đã có lỗi phía máy chủ. Vui lòng thử lại.",
                    }
                )
            )
            return
        await self.send(text_data=_dumps({"type": "ack", "request_id": request_id, **result}))
