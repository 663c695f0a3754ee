"""The audit log's pages: the searchable list for staff, the CSV export for administrators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from functools import partial
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consult import rules
from moderation import audit, registry, selectors
from moderation.models import AuditEntry
from moderation.rules import EXPORT_AUDIT_LOG


def _kinds() -> dict[str, str]:
    kinds = {t.kind: str(t.label) for t in registry.kinds()}
    kinds[audit.KIND_PERMISSION] = _("Kiểm tra quyền")
    kinds[audit.KIND_AUDIT] = _("Nhật ký kiểm duyệt")
    return kinds


def _entries(request: HttpRequest, filters: dict[str, Any], kinds: dict[str, str]) -> Any:
    # No @login_required: the selector's require() sends an anonymous visitor to the login
    # page and, being a refused check, leaves its trace in the log.
    entries = selectors.audit_list(
        viewer=request.user,
        item_kind=filters["kind"] if filters["kind"] in kinds else "",
        query=filters["query"],
    )
    return audit.audit_search(
        entries,
        action=filters["action"],
        actor=filters["actor"],
        since=filters["since"],
        until=filters["until"],
    )


def _querystring(filters: dict[str, Any]) -> str:
    values = {
        "q": filters["query"],
        "kind": filters["kind"],
        "action": filters["action"],
        "actor": filters["actor"],
        "since": filters["since"].isoformat() if filters["since"] else "",
        "until": filters["until"].isoformat() if filters["until"] else "",
    }
    return urlencode({key: value for key, value in values.items() if value})


@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    """Every moderation decision and refused permission check, newest first, searchable and
    filterable by kind, action, actor and dates, for staff."""
    filters = audit.audit_filters_parse(request.GET)
    kinds = _kinds()
    entries = _entries(request, filters, kinds)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    actions = sorted(AuditEntry.objects.order_by().values_list("action", flat=True).distinct())
    return render(
        request,
        "moderation/audit_log.html",
        {
            "page": page,
            "filters": filters,
            "query": filters["query"],
            "kind": filters["kind"],
            "kinds": kinds,
            "actions": actions,
            # A date typed but not understood is said, not silently dropped.
            "bad_dates": [
                name
                for name in ("since", "until")
                if request.GET.get(name, "").strip() and filters[name] is None
            ],
            "querystring": _querystring(filters),
            "can_export": rules.has_perm(request.user, EXPORT_AUDIT_LOG),
        },
    )


def _async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI Django would first collect a synchronous iterator into memory; pull each
    chunk in the request's own sync thread instead, so a long log really streams."""
    pull = sync_to_async(partial(next, chunks, None), thread_sensitive=True)

    async def generate() -> AsyncIterator[bytes]:
        while (chunk := await pull()) is not None:
            yield chunk

    return generate()


def _chunked(lines: Iterator[bytes], size: int = 256) -> Iterator[bytes]:
    buffer: list[bytes] = []
    for line in lines:
        buffer.append(line)
        if len(buffer) >= size:
            yield b"".join(buffer)
            buffer = []
    if buffer:
        yield b"".join(buffer)


@require_GET
def audit_export(request: HttpRequest) -> HttpResponseBase:
    """The log as CSV (UTF-8 with BOM), with the page's filters; administrators only. The
    export itself is recorded in the log before the first byte leaves."""
    rules.require(request.user, EXPORT_AUDIT_LOG)
    filters = audit.audit_filters_parse(request.GET)
    entries = _entries(request, filters, _kinds())
    record = audit.audit_export_record(
        actor=request.user, filters=_querystring(filters), count=entries.count()
    )
    chunks = _chunked(audit.audit_export_csv(entries.exclude(pk=record.pk)))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks,
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="nhat-ky-kiem-duyet-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
