"""Template helpers shared by every page (base.html)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _

from consult.preferences import TEXT_SIZE_DEFAULT, TEXT_SIZES, text_size_of

register = template.Library()


@register.simple_tag(takes_context=True)
def text_size(context: Any) -> dict[str, Any]:
    """The reader's text size for base.html: `{% text_size as ts %}` gives ts.css_class
    (a class for <html>, empty at the default size), ts.is_smallest, ts.is_largest."""
    request = context.get("request")
    size = text_size_of(request) if request is not None else TEXT_SIZE_DEFAULT
    return {
        "size": size,
        "css_class": "" if size == TEXT_SIZE_DEFAULT else f"text-size-{size}",
        "is_smallest": size == TEXT_SIZES[0],
        "is_largest": size == TEXT_SIZES[-1],
        "is_default": size == TEXT_SIZE_DEFAULT,
    }


@register.simple_tag(takes_context=True)
def path_without_lang(context: Any) -> str:
    """The current path and query without `lang=`: the language switcher's and the text-size
    control's way back. Keeping `?lang=en` there would switch the language straight back."""
    request = context.get("request")
    if request is None:
        return "/"
    query = request.GET.copy()
    query.pop("lang", None)
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


# --- Dates and times: Asia/Ho_Chi_Minh, in the style of the page's language -------------------
# Vietnamese: "14:00, thứ Năm, 26/11/2026" (how portals announce a schedule); English:
# "Thursday 26 November 2026, 14:00". The short stamp "14:05, 26/11/2026" is the same in both
# (static/js/live.js writes it that way for items that arrive live).


def _weekday(day: dt.date) -> str:
    if _english():
        return str(WEEKDAYS[day.weekday()])  # Django's own names, "Monday"…
    names = [
        _("thứ Hai"),
        _("thứ Ba"),
        _("thứ Tư"),
        _("thứ Năm"),
        _("thứ Sáu"),
        _("thứ Bảy"),
        _("Chủ nhật"),
    ]
    return names[day.weekday()]


def _english() -> bool:
    return (translation.get_language() or "").startswith("en")


def _local(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, dt.datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    # TIME_ZONE is Asia/Ho_Chi_Minh: times are always shown in the province's time.
    return timezone.localtime(value)


def _long_date(day: dt.date) -> str:
    if _english():
        return f"{_weekday(day)} {day.day} {MONTHS[day.month]} {day.year}"
    return f"{_weekday(day)}, {day:%d/%m/%Y}"


@register.filter
def vn_datetime(value: Any) -> str:
    """'14:00, thứ Năm, 26/11/2026' (English: 'Thursday 26 November 2026, 14:00')."""
    local = _local(value)
    if local is None:
        return ""
    if _english():
        return f"{_long_date(local.date())}, {local:%H:%M}"
    return f"{local:%H:%M}, {_long_date(local.date())}"


@register.filter
def vn_date(value: Any) -> str:
    """'thứ Năm, 26/11/2026' (English: 'Thursday 26 November 2026') for a date or the local
    date of a datetime."""
    if isinstance(value, dt.datetime):
        local = _local(value)
        value = local.date() if local else None
    if not isinstance(value, dt.date):
        return ""
    return _long_date(value)


@register.filter
def vn_time(value: Any) -> str:
    """'14:05, 26/11/2026' — a short stamp for a question, an answer or a comment."""
    local = _local(value)
    if local is None:
        return ""
    return f"{local:%H:%M}, {local:%d/%m/%Y}"


@register.filter
def vn_timestamp(value: Any) -> str:
    """'14:05:09, 26/11/2026' — the short stamp to the second, for logs where the order of
    several decisions within a minute matters (the moderation audit log)."""
    local = _local(value)
    if local is None:
        return ""
    return f"{local:%H:%M:%S}, {local:%d/%m/%Y}"


@register.filter
def vn_day(value: Any) -> str:
    """'26/11/2026' — a bare day (tables, deadlines in a sentence)."""
    if isinstance(value, dt.datetime):
        local = _local(value)
        value = local.date() if local else None
    if not isinstance(value, dt.date):
        return ""
    return f"{value:%d/%m/%Y}"


@register.filter
def iso(value: Any) -> str:
    """The machine-readable time for <time datetime="…">, with its +07:00 offset."""
    local = _local(value)
    return local.isoformat() if local else ""
