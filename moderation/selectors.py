from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from consult import rules
from moderation.models import AuditEntry, RejectionReason
from moderation.rules import VIEW_AUDIT_LOG


def reason_list_active() -> QuerySet[RejectionReason]:
    return RejectionReason.objects.filter(is_active=True)


def audit_list(
    *, viewer: Any, item_kind: str = "", item_id: int | None = None, query: str = ""
) -> QuerySet[AuditEntry]:
    rules.require(viewer, VIEW_AUDIT_LOG)
    entries = AuditEntry.objects.select_related("reason")
    if item_kind:
        entries = entries.filter(item_kind=item_kind)
    if item_id is not None:
        entries = entries.filter(item_id=item_id)
    if query:
        entries = entries.filter(
            Q(actor_label__icontains=query)
            | Q(item_label__icontains=query)
            | Q(context_label__icontains=query)
            | Q(action__icontains=query)
        )
    return entries
