"""The audit log's guarantees and its reads beyond the basic list: append-only at every layer
the application reaches, search with filters, and the CSV export for administrators.

Where each guarantee lives (docs/audit-log.md has the full table):
- a model instance: `AuditEntry.save()` of an existing row and `.delete()` raise;
- a queryset: `AuditEntryQuerySet.update()` / `.delete()` (and bulk_update) raise;
- the admin: read-only;
- the database: a trigger refuses UPDATE and DELETE (PostgreSQL), UPDATE (SQLite) — migration
  moderation 0006_audit_append_only.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from consult.text import normalize_text

# Actions written by moderation itself (not by a feature's item type).
PERMISSION_DENIED = "permission_denied"
AUDIT_EXPORTED = "audit.export"
# item_kind of the entries above: not an item anybody moderates, so not in the registry.
KIND_PERMISSION = "permission"
KIND_AUDIT = "audit"


class AuditLogImmutableError(Exception):
    """Raised by bulk writes on the audit log (the model's own AuditLogImmutable covers rows)."""


class AuditEntryQuerySet(models.QuerySet):
    """The audit log's queryset: reads and inserts only."""

    def update(self, **kwargs: Any) -> int:
        raise _immutable("audit entries cannot be changed")

    update.alters_data = True  # type: ignore[attr-defined]  # as Django marks QuerySet.update

    def delete(self) -> tuple[int, dict[str, int]]:
        raise _immutable("audit entries cannot be deleted")

    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]

    def bulk_update(self, objs: Iterable[Any], fields: Any, batch_size: Any = None) -> int:
        raise _immutable("audit entries cannot be changed")

    bulk_update.alters_data = True  # type: ignore[attr-defined]

    # Django's deletion collector (behind Model.delete and cascades) ends in `_raw_delete`.
    def _raw_delete(self, using: Any) -> int:
        raise _immutable("audit entries cannot be deleted")


def _immutable(message: str) -> Exception:
    # The model module defines AuditLogImmutable; raise that very class when it is there so
    # callers catch one exception whichever layer refused.
    try:
        from moderation.models import AuditLogImmutable
    except ImportError:  # pragma: no cover -- the model module always defines it
        return AuditLogImmutableError(message)
    return AuditLogImmutable(message)


# --- the export's own entry -----------------------------------------------------------------------


def audit_export_record(*, actor: Any, filters: str, count: int) -> Any:
    """Record that `actor` exported `count` entries with `filters` (a query string). Who: an
    administrator (the caller checked EXPORT_AUDIT_LOG). Emits nothing. Written in its own
    transaction before the download starts, so no export leaves without its trace."""
    from moderation.models import AuditEntry

    with transaction.atomic():
        return AuditEntry.objects.create(
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=(getattr(actor, "display_name", "") or actor.get_username())[:150],
            action=AUDIT_EXPORTED,
            item_kind=KIND_AUDIT,
            item_label=f"CSV, {count} dòng",
            context_label=filters[:255],
            after={"format": "csv", "filters": filters, "rows": count},
        )


# --- search and filters -------------------------------------------------------------------------


def _day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def audit_filters_parse(params: Any) -> dict[str, Any]:
    """Read the page's filters from a QueryDict, ignoring what does not parse (a filter form
    never fails: a bad date is simply not applied, and shown as such)."""
    # Typed text is normalised like every stored label (NFC, no invisible controls), so an NFD
    # query finds what was recorded.
    actor = normalize_text(str(params.get("actor", "")), multiline=False)[:150]
    return {
        "query": normalize_text(str(params.get("q", "")), multiline=False)[:100],
        "kind": str(params.get("kind", "")).strip()[:40],
        "action": str(params.get("action", "")).strip()[:60],
        "actor": actor,
        "since": _day(params.get("since")),
        "until": _day(params.get("until")),
    }


def audit_search(
    entries: models.QuerySet,
    *,
    action: str = "",
    actor: str = "",
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> models.QuerySet:
    """Narrow an audit queryset (already checked for the viewer by `selectors.audit_list`) by
    action, actor (name or username, contains) and a date range in Vietnamese time, both
    days included."""
    if action:
        entries = entries.filter(action=action)
    if actor:
        entries = entries.filter(Q(actor_label__icontains=actor) | Q(actor__username__iexact=actor))
    if since is not None:
        entries = entries.filter(created_at__gte=_start_of(since))
    if until is not None:
        entries = entries.filter(created_at__lt=_start_of(until + dt.timedelta(days=1)))
    return entries


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


# --- CSV export ---------------------------------------------------------------------------------

EXPORT_HEADER = [
    "STT",
    "Thời điểm",
    "Người thực hiện",
    "Tài khoản",
    "Thao tác",
    "Loại nội dung",
    "Mã nội dung",
    "Nội dung",
    "Thuộc",
    "Trước",
    "Sau",
    "Lý do",
    "Ghi chú",
]
# A spreadsheet treats a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _json(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""


def audit_export_rows(entries: models.QuerySet) -> Iterator[list[str]]:
    """The export's rows, header first, each cell neutralised against formula injection."""
    yield EXPORT_HEADER
    rows = entries.select_related("reason", "actor").order_by("created_at", "id")
    for number, entry in enumerate(rows.iterator(chunk_size=500), start=1):
        yield [
            csv_safe(cell)
            for cell in (
                number,
                timezone.localtime(entry.created_at).strftime("%d/%m/%Y %H:%M:%S"),
                entry.actor_label,
                entry.actor.get_username() if entry.actor_id else "",
                entry.action,
                entry.item_kind,
                entry.item_id if entry.item_id is not None else "",
                entry.item_label,
                entry.context_label,
                _json(entry.before),
                _json(entry.after),
                entry.reason.title if entry.reason_id else "",
                entry.note,
            )
        ]


class _Echo:
    """A file-like object whose write returns the line, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


def audit_export_csv(entries: models.QuerySet) -> Iterator[bytes]:
    """UTF-8 CSV with a byte-order mark (so Excel reads Vietnamese correctly), line by line."""
    writer = csv.writer(_Echo())
    yield "\ufeff".encode()
    for row in audit_export_rows(entries):
        yield writer.writerow(row).encode("utf-8")
