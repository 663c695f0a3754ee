"""Moderation's own writes: the audit entry every decision leaves, and optimistic concurrency."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from consult.errors import Conflict
from moderation import registry
from moderation.models import AuditEntry, RejectionReason


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
    if reason_id in (None, ""):
        return None
    try:
        return RejectionReason.objects.get(pk=int(reason_id), is_active=True)
    except (RejectionReason.DoesNotExist, ValueError, TypeError):
        return None
