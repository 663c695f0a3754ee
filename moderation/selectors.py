"""Moderation's reads: reasons, the audit log, the unified inbox and the board's statistics."""

from __future__ import annotations

import datetime as dt
import statistics
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from consult import rules
from consult.text import fold
from moderation import registry
from moderation.models import AuditEntry, Item, RejectionReason
from moderation.rules import MODERATE, VIEW_AUDIT_LOG


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


# --- the unified inbox --------------------------------------------------------------------------

INBOX_STATUSES = tuple(Item.Status.values)


def _inbox_base(viewer: Any) -> QuerySet[Item]:
    rules.require(viewer, MODERATE)
    return Item.objects.all()


def inbox_list(
    *,
    viewer: Any,
    source: str = "",
    status: str = "pending",
    topic: str = "",
    flag: str = "",
    older_than_minutes: int | None = None,
    query: str = "",
    overdue: bool = False,
) -> QuerySet[Item]:
    """The moderators' inbox across every dialogue and draft. Moderators and administrators.

    `source` a kind ("question", "comment"), `status` one of Item.Status ("" for all), `flag`
    a flag code, `older_than_minutes` only items waiting at least that long, `query` words
    matched without diacritics, `overdue` only questions whose written answer is past due.
    Pending items come oldest first (first in, first screened); others newest first.
    """
    items = _inbox_base(viewer).select_related("decided_by")
    if source:
        items = items.filter(kind=source)
    if status in INBOX_STATUSES:
        items = items.filter(status=status)
    if topic:
        items = items.filter(topic=topic)
    if flag:
        items = items.filter(flag_codes__contains=f" {flag.strip()} ")
    if older_than_minutes:
        items = items.filter(
            submitted_at__lte=timezone.now() - dt.timedelta(minutes=int(older_than_minutes))
        )
    if query:
        for word in fold(query).split()[:10]:
            items = items.filter(search_text__contains=word)
    if overdue:
        items = _overdue(items)
    if status == Item.Status.PENDING:
        return items.order_by("submitted_at", "id")
    return items.order_by("-submitted_at", "-id")


def _overdue(items: QuerySet[Item]) -> QuerySet[Item]:
    return items.filter(
        due_on__lt=timezone.localdate(),
        status__in=(Item.Status.PENDING, Item.Status.PUBLISHED),
    )


def inbox_counts(*, viewer: Any, source: str = "") -> dict[str, int]:
    """How many items are in each state (and how many written answers are overdue), for the
    inbox's tabs. Moderators and administrators."""
    items = _inbox_base(viewer)
    if source:
        items = items.filter(kind=source)
    counts = dict.fromkeys(INBOX_STATUSES, 0)
    for row in items.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    counts["all"] = sum(counts[value] for value in INBOX_STATUSES)
    counts["overdue"] = _overdue(items).count()
    return counts


def inbox_topics(*, viewer: Any) -> list[str]:
    """The topics in use (questions' topic groups, comments' articles), for the filter."""
    return list(
        _inbox_base(viewer)
        .exclude(topic="")
        .order_by("topic")
        .values_list("topic", flat=True)
        .distinct()[:200]
    )


def inbox_flag_choices(*, viewer: Any) -> dict[str, str]:
    """The flag codes present in the index with their labels, for the filter."""
    choices: dict[str, str] = {}
    rows = _inbox_base(viewer).exclude(flag_codes="").order_by("-submitted_at")
    for flags in rows.values_list("flags", flat=True)[:1000]:
        for flag in flags or []:
            choices.setdefault(flag.get("code", ""), flag.get("label", ""))
    choices.pop("", None)
    return dict(sorted(choices.items(), key=lambda kv: kv[1]))


def inbox_overdue_by_context(*, viewer: Any) -> list[dict[str, Any]]:
    """Overdue written answers grouped by what they belong to: {context_kind, context_id,
    context_label, count}, most overdue first."""
    rows = (
        _overdue(_inbox_base(viewer))
        .values("kind", "context_kind", "context_id", "context_label")
        .annotate(n=Count("id"), oldest=Min("due_on"))
        .order_by("oldest")
    )
    return [
        {
            "kind": row["kind"],
            "context_kind": row["context_kind"],
            "context_id": row["context_id"],
            "context_label": row["context_label"],
            "count": row["n"],
            "oldest": row["oldest"],
        }
        for row in rows
    ]


# --- statistics for the board ------------------------------------------------------------------

DECISION_ACTIONS = ("approve", "reject", "merge")


def stats_build(*, viewer: Any, days: int = 30) -> dict[str, Any]:
    """Figures for the editorial board over the last `days` days (Vietnamese calendar days,
    today included): items per day and kind, median time from submission to first decision,
    decisions per moderator, rejection reasons used. From Item and AuditEntry only.

    Moderators and administrators.
    """
    rules.require(viewer, MODERATE)
    days = max(1, min(int(days), 366))
    today = timezone.localdate()
    first_day = today - dt.timedelta(days=days - 1)
    start = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
    kinds = {item_type.kind: item_type.label for item_type in registry.kinds()}

    per_day: dict[dt.date, dict[str, int]] = {
        first_day + dt.timedelta(days=n): {} for n in range(days)
    }
    item_kinds: set[str] = set()
    decided: list[dt.timedelta] = []
    decided_by_kind: dict[str, list[dt.timedelta]] = {}
    rows = Item.objects.filter(submitted_at__gte=start).values_list(
        "kind", "submitted_at", "decided_at"
    )
    for kind, submitted_at, decided_at in rows.iterator():
        day = timezone.localtime(submitted_at).date()
        if day in per_day:
            per_day[day][kind] = per_day[day].get(kind, 0) + 1
            item_kinds.add(kind)
        if decided_at is not None and decided_at >= submitted_at:
            decided.append(decided_at - submitted_at)
            decided_by_kind.setdefault(kind, []).append(decided_at - submitted_at)
    ordered_kinds = sorted(item_kinds, key=lambda k: (k not in kinds, kinds.get(k, k)))
    totals = {day: sum(counts.values()) for day, counts in per_day.items()}
    peak = max(totals.values(), default=0)
    day_rows = [
        {
            "day": day,
            "counts": [counts.get(kind, 0) for kind in ordered_kinds],
            "total": totals[day],
            "percent": _step(totals[day], peak),
        }
        for day, counts in sorted(per_day.items(), reverse=True)
    ]

    audit = AuditEntry.objects.filter(
        created_at__gte=start, action__in=DECISION_ACTIONS, item_kind__in=list(kinds)
    )
    moderators: dict[str, dict[str, Any]] = {}
    for row in audit.values("actor_id", "actor_label", "action").annotate(n=Count("id")).order_by():
        key = str(row["actor_id"] or row["actor_label"])
        entry = moderators.setdefault(
            key, {"name": row["actor_label"], **dict.fromkeys(DECISION_ACTIONS, 0), "total": 0}
        )
        entry[row["action"]] += row["n"]
        entry["total"] += row["n"]
    reasons = [
        {"title": row["reason__title"], "count": row["n"]}
        for row in audit.filter(action="reject", reason__isnull=False)
        .values("reason__title")
        .annotate(n=Count("id"))
        .order_by("-n", "reason__title")
    ]
    reason_peak = max((r["count"] for r in reasons), default=0)
    for reason in reasons:
        reason["percent"] = _step(reason["count"], reason_peak)

    return {
        "days": days,
        "first_day": first_day,
        "today": today,
        "kinds": [{"kind": kind, "label": kinds.get(kind, kind)} for kind in ordered_kinds],
        "per_day": day_rows,
        "submitted_total": sum(totals.values()),
        "median_to_decision": _median(decided),
        "decided_count": len(decided),
        "median_by_kind": [
            {
                "kind": kind,
                "label": kinds.get(kind, kind),
                "median": _median(decided_by_kind.get(kind, [])),
                "count": len(decided_by_kind.get(kind, [])),
            }
            for kind in ordered_kinds
        ],
        "moderators": sorted(moderators.values(), key=lambda m: (-m["total"], m["name"])),
        "reasons": reasons,
    }


def _median(values: list[dt.timedelta]) -> dt.timedelta | None:
    if not values:
        return None
    return dt.timedelta(seconds=statistics.median(v.total_seconds() for v in values))


def _step(value: int, peak: int) -> int:
    """A bar's width in 5 % steps: a CSS class (bar-w-N) draws it, no inline style, so the
    page stays within a strict Content-Security-Policy. Any non-zero value shows at least 5 %."""
    if not peak or not value:
        return 0
    return max(5, 5 * round(20 * value / peak))
