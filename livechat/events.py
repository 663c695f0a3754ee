"""Outgoing event types, group names, and the event log append + after-commit doorbell.

Frames are serialised once here, at broadcast time, so each server process only forwards text.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.layers import get_channel_layer
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from consult.broadcast import group_send_soon
from livechat.models import Dialogue, DialogueEvent

logger = logging.getLogger(__name__)

QUESTION_SUBMITTED = "question.submitted"
QUESTION_PUBLISHED = "question.published"
QUESTION_REJECTED = "question.rejected"
QUESTION_EDITED = "question.edited"
QUESTION_MERGED = "question.merged"
QUESTION_TAGGED = "question.tagged"
QUESTION_FORWARDED = "question.forwarded"
QUESTION_REORDERED = "question.reordered"
QUESTION_ON_AIR = "question.on_air"
QUESTION_OFF_AIR = "question.off_air"
QUESTION_ANSWER_STATE_CHANGED = "question.answer_state_changed"
QUESTION_UPVOTED = "question.upvoted"
ANSWER_POSTED = "answer.posted"
DIALOGUE_STATUS_CHANGED = "dialogue.status_changed"

ALL_EVENTS = (
    QUESTION_SUBMITTED,
    QUESTION_PUBLISHED,
    QUESTION_REJECTED,
    QUESTION_EDITED,
    QUESTION_MERGED,
    QUESTION_TAGGED,
    QUESTION_FORWARDED,
    QUESTION_REORDERED,
    QUESTION_ON_AIR,
    QUESTION_OFF_AIR,
    QUESTION_ANSWER_STATE_CHANGED,
    QUESTION_UPVOTED,
    ANSWER_POSTED,
    DIALOGUE_STATUS_CHANGED,
)

# The channel-layer message type the per-process hub listens for.
DOORBELL = "dialogue.doorbell"


def group_name(dialogue_id: int) -> str:
    """The channel-layer group of one dialogue: one member per server process, not per viewer."""
    return f"dialogue.{int(dialogue_id)}"


def frame_text(*, seq: int, event_type: str, data: dict[str, Any]) -> str:
    return json.dumps(
        {"type": "event", "seq": seq, "event": event_type, "data": data},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        separators=(",", ":"),
    )


def staff_frame(event: DialogueEvent) -> str:
    return frame_text(seq=event.seq, event_type=event.type, data=event.data)


def public_frame(event: DialogueEvent) -> str | None:
    if event.public_seq is None:
        return None
    return frame_text(seq=event.public_seq, event_type=event.type, data=event.public_data or {})


# The dialogue's counters raised in one UPDATE ... RETURNING (PostgreSQL; SQLite 3.35+).
def _seq_sql() -> str:
    quote = connection.ops.quote_name
    table = quote(Dialogue._meta.db_table)
    seq, public_seq = quote("last_seq"), quote("last_public_seq")
    return (
        f"UPDATE {table} SET {seq} = {seq} + %s, {public_seq} = {public_seq} + %s "  # noqa: S608 (names only)
        f"WHERE {quote('id')} = %s RETURNING {seq}, {public_seq}"
    )


def _seq_raise(dialogue_id: int, *, count: int, public_count: int) -> tuple[int, int]:
    """Raise the dialogue's counters by `count` (and its public one by `public_count`) and
    return the new values. The UPDATE takes the row lock that a SELECT ... FOR UPDATE took
    before, so concurrent appends still queue on the row and numbers stay gap-free, in one
    round trip instead of two."""
    with connection.cursor() as cursor:
        cursor.execute(_seq_sql(), [count, public_count, dialogue_id])
        row = cursor.fetchone()
    if row is None:
        raise Dialogue.DoesNotExist(f"no dialogue {dialogue_id}")
    return row[0], row[1]


def _as_stored(data: dict[str, Any] | None) -> dict[str, Any] | None:
    # Round-trip through JSON now so what is stored equals what is sent and replayed.
    return None if data is None else json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def event_append(
    *,
    dialogue_id: int,
    event_type: str,
    data: dict[str, Any],
    public_data: dict[str, Any] | None = None,
) -> DialogueEvent:
    """Append one event to the dialogue's log and ring the doorbell after commit.

    Must run inside the service's transaction: the dialogue row is locked so `seq` (and
    `public_seq` when `public_data` is given) rise by exactly one, with no gap, and an event is
    never broadcast for a change that rolled back.
    """
    return events_append(dialogue_id=dialogue_id, entries=[(event_type, data, public_data)])[0]


def events_append(
    *,
    dialogue_id: int,
    entries: list[tuple[str, dict[str, Any], dict[str, Any] | None]],
) -> list[DialogueEvent]:
    """Append several events to one dialogue's log, in order, and ring one doorbell for all of
    them after commit: (event_type, data, public_data or None) each, as for `event_append`.

    For a batch of submissions committed together (livechat.intake): one counter UPDATE, one
    INSERT and one channel-layer message instead of one of each per event. Same rules as
    `event_append`: inside the transaction of the change; `seq` rises by one per event and
    `public_seq` by one per event with public data, gap-free.
    """
    if not entries:
        return []
    for event_type, _data, _public in entries:
        if event_type not in ALL_EVENTS:
            raise ValueError(f"unknown event type {event_type!r}")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("events_append must run inside the transaction of the change")
    public_count = sum(1 for entry in entries if entry[2] is not None)
    last, last_public = _seq_raise(dialogue_id, count=len(entries), public_count=public_count)
    seq, public_seq = last - len(entries), last_public - public_count
    appended = []
    for event_type, data, public_data in entries:
        seq += 1
        if public_data is not None:
            public_seq += 1
        appended.append(
            DialogueEvent(
                dialogue_id=dialogue_id,
                seq=seq,
                public_seq=public_seq if public_data is not None else None,
                type=event_type,
                data=_as_stored(data),
                public_data=_as_stored(public_data),
            )
        )
    DialogueEvent.objects.bulk_create(appended)
    transaction.on_commit(lambda: doorbell_ring(*appended))
    return appended


def _doorbell_entry(event: DialogueEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "public_seq": event.public_seq,
        "staff": staff_frame(event),
        "public": public_frame(event),
    }


def doorbell_ring(*appended: DialogueEvent) -> None:
    """Tell every server process (one group member each) about committed events of one
    dialogue, in one channel-layer message: {dialogue_id, seq, public_seq, staff, public} for
    one event, {dialogue_id, events: [those four, in order]} for several.

    Returns at once: the send runs on the server's event loop and gives up after a short
    timeout (consult.broadcast), so a stopped or hung Redis never holds up the request that
    made the change. A failure here loses nothing: the event is in the database, each process
    hub polls the log and fills any gap from it, and clients catch up through `?after=`.
    """
    layer = get_channel_layer()
    if layer is None or not appended:
        return
    first, last = appended[0], appended[-1]
    message: dict[str, Any] = {"type": DOORBELL, "dialogue_id": first.dialogue_id}
    if len(appended) == 1:
        message.update(_doorbell_entry(first))
        what = f"doorbell for dialogue {first.dialogue_id} seq {first.seq}"
    else:
        message["events"] = [_doorbell_entry(event) for event in appended]
        what = f"doorbell for dialogue {first.dialogue_id} seq {first.seq}-{last.seq}"
    group_send_soon(group_name(first.dialogue_id), message, what=what, layer=layer)
