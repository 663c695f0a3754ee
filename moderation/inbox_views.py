"""The moderators' unified inbox (every question and comment, every dialogue and draft) and the
board's statistics. Thin: parse the request, call one service or selector, shape the page.

Every page works without JavaScript: filters are a GET form, each decision a POST form carrying
the item's version, and static/js/inbox.js only refreshes the list region (`?fragment=1`) and
adds claims and keyboard shortcuts on top.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from consult import rules
from consult.errors import Conflict, DomainError, Invalid
from moderation import registry, selectors, services
from moderation.models import Item, RejectionReason
from moderation.rules import MODERATE

PAGE_SIZE = 25
AGE_CHOICES = [
    (15, gettext_lazy("Chờ từ 15 phút")),
    (60, gettext_lazy("Chờ từ 1 giờ")),
    (240, gettext_lazy("Chờ từ 4 giờ")),
    (1440, gettext_lazy("Chờ từ 1 ngày")),
]
STATS_DAYS = (7, 30, 90)
SPAM_REASON_CODE = "spam"


def _filters(request: HttpRequest) -> dict[str, Any]:
    """The inbox filters from the query string, each checked against its allowed values."""
    get = request.GET
    kinds = {t.kind for t in registry.kinds() if t.approve or t.reject}
    source = get.get("source", "")
    status = get.get("status", Item.Status.PENDING)
    try:
        age = int(get.get("age", "") or 0)
    except ValueError:
        age = 0
    return {
        "source": source if source in kinds else "",
        "status": status if status in (*Item.Status.values, "") else Item.Status.PENDING,
        "topic": get.get("topic", "").strip()[:80],
        "flag": get.get("flag", "").strip()[:40],
        "age": age if age in dict(AGE_CHOICES) else 0,
        "q": get.get("q", "").strip()[:100],
        "overdue": get.get("overdue") == "1",
    }


def _query_string(filters: dict[str, Any], **override: Any) -> str:
    values = {**filters, **override}
    values["overdue"] = "1" if values.get("overdue") else ""
    return urlencode({k: v for k, v in values.items() if v not in ("", 0, None, False)})


def _claims(items: list[Item], viewer: Any) -> dict[tuple[str, int], dict[str, Any]]:
    """Who is on each item of the page (moderation.claims): the badge, and the confirmation
    box the no-JavaScript forms show when it is someone else."""
    from moderation import claims

    found = claims.claims_for(items)
    return {
        key: {
            "name": claim.moderator.display_name or claim.moderator.get_username(),
            "mine": claim.moderator_id == viewer.pk,
        }
        for key, claim in found.items()
    }


def _inbox_context(request: HttpRequest) -> dict[str, Any]:
    filters = _filters(request)
    items = selectors.inbox_list(
        viewer=request.user,
        source=filters["source"],
        status=filters["status"],
        topic=filters["topic"],
        flag=filters["flag"],
        older_than_minutes=filters["age"] or None,
        query=filters["q"],
        overdue=filters["overdue"],
    )
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = list(page.object_list)
    claims = _claims(rows, request.user)
    kinds = {t.kind: t.label for t in registry.kinds()}
    today = _today()
    for item in rows:
        item.kind_label = kinds.get(item.kind, item.kind)
        item.claim = claims.get((item.kind, item.object_id))
        item.overdue = bool(
            item.due_on and item.due_on < today and item.status in ("pending", "published")
        )
        item.decidable = item.status in (Item.Status.PENDING, Item.Status.PUBLISHED)
    here = reverse("moderation:inbox")
    query = _query_string(filters)
    return {
        "filters": filters,
        "page": page,
        "rows": rows,
        "keep": query,
        "here": f"{here}?{query}" if query else here,
        "reasons": list(RejectionReason.objects.filter(is_active=True)),
        "spam_reason_code": SPAM_REASON_CODE,
    }


def _today() -> Any:
    return timezone.localdate()


@login_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """The unified inbox (moderators, administrators). `?fragment=1` returns only the list
    region, for static/js/inbox.js to refresh it when an item changes."""
    context = _inbox_context(request)
    if request.GET.get("fragment") == "1":
        return render(request, "moderation/_inbox_list.html", context)
    counts = selectors.inbox_counts(viewer=request.user, source=context["filters"]["source"])
    overdue_groups = selectors.inbox_overdue_by_context(viewer=request.user)
    for group in overdue_groups:
        item_type = registry.get(group["kind"]) if group["kind"] in _kinds() else None
        group["url"] = (
            item_type.overdue_url(group["context_id"])
            if item_type and item_type.overdue_url
            else ""
        )
    filters = context["filters"]
    tabs = [
        {
            "status": value,
            "label": label,
            "count": counts.get(value, 0),
            "url": "?" + _query_string(filters, status=value, overdue=False),
            "current": filters["status"] == value and not filters["overdue"],
        }
        for value, label in [*Item.Status.choices, ("", _("Tất cả"))]
    ]
    for tab in tabs:
        if tab["status"] == "":
            tab["count"] = counts["all"]
    fragment_query = _query_string(filters, fragment="1")
    context.update(
        {
            "counts": counts,
            "tabs": tabs,
            "overdue_groups": overdue_groups,
            "overdue_url": "?" + _query_string(filters, status="", overdue=True),
            "sources": [(t.kind, t.label) for t in registry.kinds() if t.approve or t.reject],
            "statuses": [*Item.Status.choices],
            "topics": selectors.inbox_topics(viewer=request.user),
            "flag_choices": selectors.inbox_flag_choices(viewer=request.user),
            "age_choices": AGE_CHOICES,
            "fragment_url": f"{reverse('moderation:inbox')}?{fragment_query}",
            "inbox_labels": inbox_labels(),
        }
    )
    return render(request, "moderation/inbox.html", context)


def inbox_labels() -> dict[str, str]:
    """The inbox script's texts, translated on the server (the script holds defaults only)."""
    return {
        "claimed": _("Đang được %s xử lý"),
        "claimedMine": _("Bạn đang xử lý"),
        "claimedNotice": _("Nội dung này đang được %s xử lý."),
        "confirm": _("Nội dung này đang được %s xử lý. Bạn vẫn muốn quyết định thay?"),
        "confirmBulk": _("%n nội dung đã chọn đang được người khác xử lý. Bạn vẫn muốn tiếp tục?"),
        "newItems": _("%n nội dung mới"),
        "gone": _("Nội dung bạn đang xem đã được xử lý hoặc không còn trong danh sách."),
        "helpTitle": _("Phím tắt"),
        "helpButton": _("Phím tắt (?)"),
        "helpKey": _("Phím"),
        "helpAction": _("Tác dụng"),
        "helpClose": _("Đóng"),
        "helpIntro": _("Phím tắt không hoạt động khi bạn đang gõ trong một ô nhập liệu."),
        "keyNext": _("Nội dung tiếp theo"),
        "keyPrevious": _("Nội dung trước"),
        "keyApprove": _("Duyệt nội dung đang chọn"),
        "keyReject": _("Chọn lý do từ chối cho nội dung đang chọn"),
        "keyTick": _("Đánh dấu / bỏ đánh dấu để xử lý hàng loạt"),
        "keyHelp": _("Mở bảng phím tắt này"),
        "keyClose": _("Đóng bảng phím tắt"),
        "offline": _(
            "Mất kết nối trực tiếp; danh sách sẽ không tự cập nhật cho đến khi kết nối lại."
        ),
    }


def _kinds() -> set[str]:
    return {t.kind for t in registry.kinds()}


def _back(request: HttpRequest, anchor: str = "") -> HttpResponse:
    target = request.POST.get("next", "")
    if not target or not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("moderation:inbox")
    return redirect(f"{target}#{anchor}" if anchor else target)


def _error_text(exc: DomainError) -> str:
    details = [str(v) for v in exc.fields.values() if str(v) not in exc.message]
    return " ".join([exc.message, *details])


@login_required
@require_POST
def item_decide(request: HttpRequest, kind: str, object_id: int, action: str) -> HttpResponse:
    """Approve or reject one item from the inbox, with the version the moderator saw.
    A conflict (someone acted first, the item is claimed) comes back as a clear message over
    the refreshed list."""
    rules.require(request.user, MODERATE)
    label = _("%(kind)s #%(id)s") % {
        "kind": registry.get(kind).label if kind in _kinds() else kind,
        "id": object_id,
    }
    try:
        services.item_decide(
            actor=request.user,
            kind=kind,
            object_id=object_id,
            action=action,
            expected_version=request.POST.get("version"),
            reason_id=request.POST.get("reason"),
            note=request.POST.get("note", ""),
            confirmed=request.POST.get("confirm_claimed") == "1",
        )
    except Conflict as exc:
        messages.error(
            request,
            _("%(item)s: %(error)s Danh sách dưới đây là trạng thái mới nhất.")
            % {"item": label, "error": exc.message},
        )
    except Invalid as exc:
        messages.error(request, f"{label}: {_error_text(exc)}")
    else:
        done = _("Đã duyệt và đăng") if action == "approve" else _("Đã từ chối")
        messages.success(request, f"{done}: {label}.")
    return _back(request, anchor=f"item-{kind}-{object_id}")


def _bulk_items(values: list[str]) -> list[tuple[str, int, int | None]]:
    """Ticked rows arrive as "kind:object_id:version"."""
    items: list[tuple[str, int, int | None]] = []
    for value in values:
        parts = value.split(":")
        if len(parts) != 3:
            continue
        kind, object_id, version = parts
        try:
            items.append((kind, int(object_id), int(version) if version else None))
        except ValueError:
            continue
    return items


@login_required
@require_POST
def bulk_reject(request: HttpRequest) -> HttpResponse:
    """Reject every ticked item with one reason (spam preselected); each item is decided and
    audited on its own, and the ones that changed meanwhile are reported one by one."""
    rules.require(request.user, MODERATE)
    try:
        results = services.items_bulk_reject(
            actor=request.user,
            items=_bulk_items(request.POST.getlist("items")),
            reason_id=request.POST.get("reason"),
            note=request.POST.get("note", ""),
            confirmed=request.POST.get("confirm_claimed") == "1",
        )
    except Invalid as exc:
        messages.error(request, _error_text(exc))
        return _back(request)
    done = [r for r in results if r["ok"]]
    if done:
        messages.success(request, _("Đã từ chối %(n)s nội dung.") % {"n": len(done)})
    kinds = {t.kind: t.label for t in registry.kinds()}
    for result in results:
        if not result["ok"]:
            messages.error(
                request,
                _("%(kind)s #%(id)s chưa bị từ chối: %(error)s")
                % {
                    "kind": kinds.get(result["kind"], result["kind"]),
                    "id": result["object_id"],
                    "error": result["message"],
                },
            )
    return _back(request)


@login_required
@require_GET
def stats(request: HttpRequest) -> HttpResponse:
    """The board's figures: items per day, median time to decision, decisions per moderator,
    rejection reasons used (moderators, administrators)."""
    try:
        days = int(request.GET.get("days", 30))
    except ValueError:
        days = 30
    if days not in STATS_DAYS:
        days = 30
    figures = selectors.stats_build(viewer=request.user, days=days)
    figures["median_text"] = duration_text(figures["median_to_decision"])
    for row in figures["median_by_kind"]:
        row["median_text"] = duration_text(row["median"])
    return render(
        request,
        "moderation/stats.html",
        {"stats": figures, "days_choices": STATS_DAYS, "days": days},
    )


def duration_text(value: Any) -> str:
    """A duration as moderators say it: "2 giờ 5 phút", "45 phút", "3 ngày 4 giờ"."""
    if value is None:
        return ""
    minutes = round(value.total_seconds() / 60)
    if minutes < 1:
        return _("dưới 1 phút")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = []
    if days:
        parts.append(_("%(n)s ngày") % {"n": days})
    if hours:
        parts.append(_("%(n)s giờ") % {"n": hours})
    if minutes and not days:
        parts.append(_("%(n)s phút") % {"n": minutes})
    return " ".join(parts)
