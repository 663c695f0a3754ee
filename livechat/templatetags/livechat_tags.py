"""Display helpers of the dialogue pages and exports: Vietnamese date style, stream embeds."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

register = template.Library()


def _weekday(day: dt.date) -> str:
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


def _local(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        value = parse_datetime(value)
    if not isinstance(value, dt.datetime):
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    # TIME_ZONE is Asia/Ho_Chi_Minh: the schedule is always shown in the province's time.
    return timezone.localtime(value)


@register.filter
def vn_datetime(value: Any) -> str:
    """'14:00, thứ Năm, 26/11/2026' — the way Vietnamese portals announce a schedule."""
    local = _local(value)
    if local is None:
        return ""
    return f"{local:%H:%M}, {_weekday(local.date())}, {local:%d/%m/%Y}"


@register.filter
def vn_date(value: Any) -> str:
    """'thứ Năm, 26/11/2026' for a date (or the local date of a datetime)."""
    if isinstance(value, dt.datetime):
        local = _local(value)
        value = local.date() if local else None
    if not isinstance(value, dt.date):
        return ""
    return f"{_weekday(value)}, {value:%d/%m/%Y}"


@register.filter
def vn_time(value: Any) -> str:
    """'14:05, 26/11/2026' — a short stamp for a question or an answer."""
    local = _local(value)
    if local is None:
        return ""
    return f"{local:%H:%M}, {local:%d/%m/%Y}"


@register.filter
def iso(value: Any) -> str:
    local = _local(value)
    return local.isoformat() if local else ""


_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{6,20}$")


@register.filter
def stream_embed_url(url: str) -> str:
    """The address to put in an <iframe> for a dialogue's stream, or '' when it cannot be
    embedded safely (then the page only links to it).

    YouTube watch/short/live links become the youtube-nocookie embed; Facebook video links go
    through Facebook's video plugin; any other https address is embedded as given, since the
    portal's editors chose it in the admin."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme != "https" or not parts.hostname:
        return ""
    host = parts.hostname.lower().removeprefix("www.").removeprefix("m.")
    video_id = ""
    if host == "youtu.be":
        video_id = parts.path.strip("/").split("/")[0]
    elif host in ("youtube.com", "youtube-nocookie.com"):
        path = parts.path.strip("/").split("/")
        if path[0] == "watch":
            video_id = parse_qs(parts.query).get("v", [""])[0]
        elif path[0] in ("embed", "live", "shorts") and len(path) > 1:
            video_id = path[1]
    elif host in ("facebook.com", "fb.watch"):
        return "https://www.facebook.com/plugins/video.php?href=" + quote(url, safe="")
    else:
        return url
    if _YOUTUBE_ID.match(video_id or ""):
        return f"https://www.youtube-nocookie.com/embed/{video_id}"
    return ""


@register.filter
def answer_state_label(value: str) -> str:
    from livechat.models import Question

    try:
        return str(Question.AnswerState(value).label)
    except ValueError:
        return ""


@register.filter
def answer_state_badge(value: str) -> str:
    """The badge class that goes with an answer state."""
    return {
        "answered_live": "badge-ok",
        "answered_written": "badge-ok",
        "awaiting_written": "badge-warn",
    }.get(value, "")
