"""What features register with moderation: their moderatable item types.

Moderation never imports a feature. A feature describes each item type once (how to find an
item, how to show it in the audit log and in a conflict message) in its AppConfig.ready().
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class ItemType:
    kind: str
    # Usually a lazy translation, shown in the language of the page that reads it.
    label: StrOrPromise
    # Short, human-readable label of one item for the audit log (never contact details).
    describe: Callable[[Any], str]
    # The state moderators see, sent back with a conflict so the loser gets the fresh state.
    snapshot: Callable[[Any], dict[str, Any]]
    # Label of what the item belongs to (the dialogue or draft), for the audit log.
    context: Callable[[Any], str]
    # The feature's decision services, so the unified inbox decides through them (their rules,
    # audit entries and events): approve(*, actor, object_id, expected_version) and
    # reject(*, actor, object_id, reason_id, note, expected_version). None: not decided there.
    approve: Callable[..., Any] | None = None
    reject: Callable[..., Any] | None = None
    # Staff page where overdue written answers of one context (a dialogue id) are answered.
    overdue_url: Callable[[int], str] | None = None
    # Re-indexes every existing item of this kind into moderation.Item; returns how many.
    reindex: Callable[[], int] | None = None


_TYPES: dict[str, ItemType] = {}


def register(item_type: ItemType) -> None:
    existing = _TYPES.get(item_type.kind)
    if existing is not None and existing != item_type:
        raise ValueError(f"moderation item type {item_type.kind!r} registered twice")
    _TYPES[item_type.kind] = item_type


def get(kind: str) -> ItemType:
    return _TYPES[kind]


def kinds() -> list[ItemType]:
    return list(_TYPES.values())
