"""Moderation's own writes: the audit entry every decision leaves, optimistic concurrency, and
the unified inbox (the Item index the features keep, decisions through their services)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from consult import rules
from consult.errors import Conflict, DomainError, Invalid, NotFound
from consult.text import fold, normalize_text
from moderation import registry
from moderation.models import AuditEntry, Item, RejectionReason
from moderation.rules import MODERATE

logger = logging.getLogger(__name__)


def audit_record(
    *,
    actor: Any,
    action: str,
    item_kind: str,
    item: Any = None,
    item_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: RejectionReason | None = None,
    note: str = "",
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one audit entry. Called by services inside their transaction, so the entry and
    the change it records commit or roll back together. Emits nothing."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change it records")
    item_type = registry.get(item_kind)
    label = actor_label
    if label is None:
        label = getattr(actor, "display_name", None) or getattr(actor, "username", "") or "—"
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=label[:150],
        action=action,
        item_kind=item_kind,
        item_id=item_id if item_id is not None else getattr(item, "pk", None),
        item_label=(item_type.describe(item) if item is not None else "")[:255],
        context_label=(item_type.context(item) if item is not None else "")[:255],
        before=before or {},
        after=after or {},
        reason=reason,
        note=note,
    )


def version_check(*, item_kind: str, item: Any, expected_version: int | None) -> None:
    """Raise Conflict, carrying the item's fresh state, when someone changed it since the
    caller's `expected_version`. Call after locking the row (select_for_update)."""
    if expected_version is None or int(expected_version) == item.version:
        return
    raise Conflict(
        _("Một biên tập viên khác vừa xử lý nội dung này. Trạng thái mới nhất đã được tải lại."),
        data={"current": registry.get(item_kind).snapshot(item)},
    )


def reason_get_active(*, reason_id: int | str | None) -> RejectionReason | None:
    if reason_id is None or reason_id == "":
        return None
    try:
        return RejectionReason.objects.get(pk=int(reason_id), is_active=True)
    except (RejectionReason.DoesNotExist, ValueError, TypeError):
        return None


# --- the unified inbox (moderation.Item) --------------------------------------------------------

EXCERPT_LENGTH = 500
# How many earlier items of the same dialogue or draft a new text is compared with for duplicates.
DUPLICATE_WINDOW = 500
BULK_LIMIT = 100
_UNSET: Any = object()


def _flags_compute(text: str, earlier: list[tuple[int, str]]) -> list[dict[str, Any]]:
    """The auto-flags of a text as JSON-ready dicts. Flags help moderators and never decide."""
    from moderation.flags import flags_compute

    flags = flags_compute(text, earlier=earlier)
    return [
        {
            "code": str(flag.code),
            "label": str(flag.label),
            "detail": str(flag.detail or ""),
            "severity": str(flag.severity or ""),
        }
        for flag in flags
    ]


def _recent_texts(
    *, context_kind: str, context_id: int, kind: str, object_id: int, before: Any = None
) -> list[tuple[int, str]]:
    """The last DUPLICATE_WINDOW texts sent to the same dialogue or draft (before `before`),
    newest first, as (object_id, folded text): what a duplicate is looked for in."""
    rows = Item.objects.filter(context_kind=context_kind, context_id=context_id).exclude(
        kind=kind, object_id=object_id
    )
    if before is not None:
        rows = rows.filter(submitted_at__lte=before)
    return list(
        rows.order_by("-submitted_at", "-id").values_list("object_id", "search_text")[
            :DUPLICATE_WINDOW
        ]
    )


def _flag_codes(flags: list[dict[str, Any]]) -> str:
    codes = sorted({f["code"] for f in flags})
    return f" {' '.join(codes)} " if codes else ""


def _inbox_changed(kind: str, *object_ids: int) -> None:
    """After commit, one `item.changed` message for these items (one or a batch)."""

    def ring() -> None:
        from moderation.realtime import inbox_changed_many

        inbox_changed_many(kind=kind, object_ids=list(object_ids))

    transaction.on_commit(ring)


def _item_fields(
    *,
    context_kind: str,
    context_id: int,
    context_label: str,
    context_url: str,
    status: str,
    version: int,
    text: str,
    topic: str = "",
    author_label: str = "",
    submitted_at: Any,
    recent_texts: list[tuple[int, str]],
    due_on: Any = None,
) -> dict[str, Any]:
    flags = _flags_compute(text, recent_texts)
    return {
        "context_kind": context_kind,
        "context_id": context_id,
        "context_label": context_label[:255],
        "context_url": context_url[:255],
        "status": status,
        "version": version,
        "topic": (topic or "")[:80],
        "excerpt": text[:EXCERPT_LENGTH],
        "search_text": fold(text),
        "author_label": author_label[:255],
        "flags": flags,
        "flag_codes": _flag_codes(flags),
        "due_on": due_on,
        "submitted_at": submitted_at,
    }


def item_index(
    *,
    kind: str,
    object_id: int,
    context_kind: str,
    context_id: int,
    context_label: str,
    context_url: str,
    status: str,
    version: int,
    text: str,
    topic: str = "",
    author_label: str = "",
    submitted_at: Any,
    recent_texts: Any = None,
    due_on: Any = None,
    new: bool = False,
) -> Item:
    """Put one item (a question, a comment) in the unified inbox, or refresh it, with its
    auto-flags (prohibited terms, personal data, likely duplicates among `recent_texts` or, by
    default, the last 500 items of the same dialogue or draft).

    Called by a feature's submit service inside its transaction (and by the re-index command);
    no permission of its own. Rings `item.changed` on the inbox after commit. `new`: the
    caller created the object in this very transaction, so it has no item yet (one INSERT
    instead of a locked lookup between savepoints: a burst of submissions is the hot path).
    """
    if recent_texts is None:
        recent_texts = _recent_texts(
            context_kind=context_kind, context_id=context_id, kind=kind, object_id=object_id
        )
    fields = _item_fields(
        context_kind=context_kind,
        context_id=context_id,
        context_label=context_label,
        context_url=context_url,
        status=status,
        version=version,
        text=text,
        topic=topic,
        author_label=author_label,
        submitted_at=submitted_at,
        recent_texts=list(recent_texts),
        due_on=due_on,
    )
    if new:
        item = Item.objects.create(kind=kind, object_id=object_id, **fields)
    else:
        item, _created = Item.objects.update_or_create(
            kind=kind, object_id=object_id, defaults=fields
        )
    _inbox_changed(kind, object_id)
    return item


def items_index_new(*, kind: str, entries: list[dict[str, Any]]) -> list[Item]:
    """Put several objects of one kind, all created in the caller's transaction and in this
    order, in the unified inbox: one read of the earlier texts per dialogue or draft and one
    INSERT, instead of one of each per object (a batch of questions committed together,
    livechat.intake).

    Each entry holds `item_index`'s arguments but `kind`, `recent_texts` and `new`. The flags
    are the ones `item_index` would give the objects one after the other: an entry's earlier
    texts are the batch's entries before it (same context), then the stored ones. No
    permission of its own; rings `item.changed` per object after commit, in one message.
    """
    recent: dict[tuple[str, int], list[tuple[int, str]]] = {}
    items = []
    for entry in entries:
        context = (entry["context_kind"], entry["context_id"])
        if context not in recent:
            # Read before any of the batch is inserted, so the batch's objects are not in it.
            recent[context] = _recent_texts(
                context_kind=context[0], context_id=context[1], kind=kind, object_id=0
            )
        fields = _item_fields(
            **{k: v for k, v in entry.items() if k != "object_id"},
            recent_texts=recent[context],
        )
        items.append(Item(kind=kind, object_id=entry["object_id"], **fields))
        recent[context] = [
            (entry["object_id"], fields["search_text"]),
            *recent[context][: DUPLICATE_WINDOW - 1],
        ]
    Item.objects.bulk_create(items)
    _inbox_changed(kind, *(item.object_id for item in items))
    return items


def item_sync(
    *,
    kind: str,
    object_id: int,
    status: str | None = None,
    version: int | None = None,
    text: str | None = None,
    topic: str | None = None,
    decided_by: Any = None,
    due_on: Any = _UNSET,
) -> None:
    """Mirror a change of an indexed item: its status, version, wording (flags recomputed),
    topic, written-answer due date, and who decided. The first move out of "pending" stamps
    the decision time.

    Called by every feature service that changes a moderatable item, inside its transaction.
    An item missing from the index (data older than the index) is skipped: `manage.py
    moderation_reindex` fills it in. Rings `item.changed` on the inbox after commit.
    """
    item = Item.objects.select_for_update().filter(kind=kind, object_id=object_id).first()
    if item is None:
        logger.info("item_sync: %s %s is not indexed yet", kind, object_id)
        return
    fields: set[str] = set()
    if status is not None and status != item.status:
        if item.status == Item.Status.PENDING and item.decided_at is None:
            item.decided_at = timezone.now()
            fields.add("decided_at")
        item.status = status
        fields.add("status")
        if item.status != Item.Status.PENDING:
            # A decision ends the work on the item: nobody "is handling" it any more.
            from moderation.claims import claims_clear

            claims_clear(kind=kind, object_id=object_id)
    if decided_by is not None and getattr(decided_by, "pk", None):
        item.decided_by = decided_by
        fields.add("decided_by")
    if version is not None and version != item.version:
        item.version = version
        fields.add("version")
    if topic is not None and topic[:80] != item.topic:
        item.topic = topic[:80]
        fields.add("topic")
    if due_on is not _UNSET and due_on != item.due_on:
        item.due_on = due_on
        fields.add("due_on")
    if text is not None and (
        text[:EXCERPT_LENGTH] != item.excerpt or fold(text) != item.search_text
    ):
        item.excerpt = text[:EXCERPT_LENGTH]
        item.search_text = fold(text)
        # Only items sent before this one can make it a duplicate of something.
        earlier = _recent_texts(
            context_kind=item.context_kind,
            context_id=item.context_id,
            kind=kind,
            object_id=object_id,
            before=item.submitted_at,
        )
        item.flags = _flags_compute(text, earlier)
        item.flag_codes = _flag_codes(item.flags)
        fields |= {"excerpt", "search_text", "flags", "flag_codes"}
    if fields:
        item.save(update_fields=sorted(fields))
    _inbox_changed(kind, object_id)


def _claim_check(*, actor: Any, kind: str, object_id: int, confirmed: bool) -> None:
    """Refuse a decision on an item another moderator holds a live claim on, unless the actor
    confirmed they want to act anyway (the inbox asks them)."""
    from moderation import claims

    claims.claim_check(actor=actor, kind=kind, object_id=object_id, confirmed=confirmed)


def _decider(kind: str, action: str) -> Callable[..., Any]:
    try:
        item_type = registry.get(kind)
    except KeyError as exc:
        raise NotFound(_("Không tìm thấy loại nội dung này.")) from exc
    decide = item_type.approve if action == "approve" else item_type.reject
    if decide is None:
        raise NotFound(_("Loại nội dung này không được xử lý trong hộp duyệt chung."))
    return decide


def item_decide(
    *,
    actor: Any,
    kind: str,
    object_id: int,
    action: str,
    expected_version: Any = None,
    reason_id: Any = None,
    note: str = "",
    confirmed: bool = False,
) -> Any:
    """Approve or reject one item from the unified inbox, through the feature's own service
    (its permission rule, audit entry, events and notifications all apply).

    Moderators and administrators. Refused (Conflict "claimed") while another moderator holds
    a live claim on the item, unless `confirmed`; a stale `expected_version` is a Conflict
    carrying the fresh state. Emits what the feature's service emits.
    """
    rules.require(actor, MODERATE)
    if action not in ("approve", "reject"):
        raise NotFound(_("Thao tác không hợp lệ."))
    decide = _decider(kind, action)
    _claim_check(actor=actor, kind=kind, object_id=object_id, confirmed=confirmed)
    version = _version_parse(expected_version)
    if action == "approve":
        return decide(actor=actor, object_id=object_id, expected_version=version)
    return decide(
        actor=actor,
        object_id=object_id,
        reason_id=reason_id,
        note=normalize_text(note)[:2000],
        expected_version=version,
    )


def _version_parse(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise Invalid(_("Phiên bản không hợp lệ.")) from exc


def items_bulk_reject(
    *,
    actor: Any,
    items: list[tuple[str, int, int | None]],
    reason_id: Any,
    note: str = "",
    confirmed: bool = False,
) -> list[dict[str, Any]]:
    """Reject several items with one reason (obvious spam), each through its feature's reject
    service in its own transaction: each is audited, and one item that changed meanwhile (a
    stale version, a claim by someone else, already decided) fails alone.

    Moderators and administrators; at most BULK_LIMIT items. Returns one result per item:
    {kind, object_id, ok, message}. Emits what the features' services emit.
    """
    rules.require(actor, MODERATE)
    if not items:
        raise Invalid(_("Chưa chọn nội dung nào."), fields={"items": _("Chưa chọn.")})
    if len(items) > BULK_LIMIT:
        raise Invalid(
            _("Mỗi lần chỉ xử lý tối đa %(n)s nội dung.") % {"n": BULK_LIMIT},
            fields={"items": _("Quá nhiều.")},
        )
    if reason_get_active(reason_id=reason_id) is None:
        raise Invalid(
            _("Vui lòng chọn lý do từ chối trong danh mục."),
            fields={"reason": _("Vui lòng chọn lý do từ chối.")},
        )
    results: list[dict[str, Any]] = []
    for kind, object_id, version in items:
        try:
            item_decide(
                actor=actor,
                kind=kind,
                object_id=object_id,
                action="reject",
                expected_version=version,
                reason_id=reason_id,
                note=note,
                confirmed=confirmed,
            )
        except DomainError as exc:
            results.append(
                {"kind": kind, "object_id": object_id, "ok": False, "message": exc.message}
            )
        else:
            results.append({"kind": kind, "object_id": object_id, "ok": True, "message": ""})
    return results
