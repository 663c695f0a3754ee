"""Display helpers of the dialogue pages and exports: Vietnamese date style, stream embeds."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

from django import template

from consult.templatetags.consult_tags import iso, vn_date, vn_datetime, vn_time

register = template.Library()


# The date filters live in consult (the drafts pages use them too); registered here as well so
# the dialogue templates and livechat/exports.py keep their names.
register.filter("vn_datetime", vn_datetime)
register.filter("vn_date", vn_date)
register.filter("vn_time", vn_time)
register.filter("iso", iso)


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
