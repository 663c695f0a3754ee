"""Live updates for the moderators' inbox: which item changed, who claims what.

Every moderator socket (moderation.consumers.InboxConsumer) is a member of one channel-layer
group, GROUP. The board is a handful of people, so one member per socket costs nothing here,
unlike the dialogue audience (see livechat.fanout).

Both functions are best-effort doorbells, like livechat.events.doorbell_ring: the database is
the truth, a lost message only delays a refresh (the inbox page re-reads the list, claims
expire by themselves). Called inside a transaction they wait for the commit, so a change that
rolls back is never announced.
"""

from __future__ import annotations

import logging
from typing import Any

from channels.layers import get_channel_layer
from django.db import transaction

from consult.broadcast import group_send_soon

logger = logging.getLogger(__name__)

GROUP = "moderation.inbox"
# The channel-layer message type; InboxConsumer.moderation_event forwards it to the browser.
MESSAGE = "moderation.event"

ITEM_CHANGED = "item.changed"
CLAIM_CHANGED = "claim.changed"


def inbox_changed(*, kind: str, object_id: int) -> None:
    """Tell every open inbox that an item was submitted, decided or edited.

    Emits `item.changed` {kind, object_id}. The browser refetches its list: the frame carries
    no content, so nothing leaks through it that the page would not show.
    """
    _announce(ITEM_CHANGED, {"kind": str(kind), "object_id": int(object_id)})


def inbox_changed_many(*, kind: str, object_ids: list[int]) -> None:
    """`inbox_changed` for several items of one kind at once (a batch of questions committed
    together): one channel-layer message, each open inbox still gets one `item.changed`
    frame per item."""
    if object_ids:
        _announce(ITEM_CHANGED, *({"kind": str(kind), "object_id": int(pk)} for pk in object_ids))


def claim_changed(
    *,
    kind: str,
    object_id: int,
    moderator: dict[str, Any] | None,
    expires_at: str | None,
) -> None:
    """Tell every open inbox who now holds the claim on an item.

    Emits `claim.changed` {kind, object_id, moderator: {id, name} | null, expires_at (ISO 8601)
    | null}; `moderator` null means the item is free again.
    """
    _announce(
        CLAIM_CHANGED,
        {
            "kind": str(kind),
            "object_id": int(object_id),
            "moderator": moderator,
            "expires_at": expires_at,
        },
    )


def _announce(event: str, data: dict[str, Any], *more: dict[str, Any]) -> None:
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _send(event, data, *more))
    else:
        _send(event, data, *more)


def _send(event: str, data: dict[str, Any], *more: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    message: dict[str, Any] = {"type": MESSAGE, "event": event, "data": data}
    if more:
        # The same event for further items, forwarded as one frame each (InboxConsumer).
        message["more"] = list(more)
    # Never waits for Redis (a stopped or hung Redis must not hold up the decision's request);
    # best-effort by design: the page re-reads the database.
    group_send_soon(
        GROUP,
        message,
        what=f"moderation inbox broadcast {event} {data}"
        + (f" and {len(more)} more" if more else ""),
        layer=layer,
    )
