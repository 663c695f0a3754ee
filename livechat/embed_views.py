"""The "embed in the portal" page of a dialogue, for moderators: the <iframe> code (and a plain
link) that the provincial portal pastes to show the public live page, with the origins allowed
to frame it (consult.security, env CSP_FRAME_ANCESTORS). HTTP in and out only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consult import rules
from consult.security import frame_ancestors
from livechat import selectors
from livechat.rules import MANAGE_DIALOGUE


# Tall enough for the question on air, the latest questions and the start of the form; the
# page scrolls inside the frame for the rest.
def _codes(*, url: str, frame_url: str, title: str, height: int) -> dict[str, str]:
    """The HTML the portal pastes, escaped once here for the portal's page (the template
    escapes it again to show it as text)."""
    return {
        "iframe_code": format_html(
            '<iframe src="{}" title="{}" width="100%" height="{}" loading="lazy" '
            'referrerpolicy="strict-origin-when-cross-origin"></iframe>',
            frame_url,
            title,
            height,
        ),
        "link_code": format_html('<a href="{}">{}</a>', url, title),
    }


FRAME_HEIGHT = 900


@login_required
@require_GET
def dialogue_embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The embed code of a dialogue's public live page (moderators)."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    rules.require(request.user, MANAGE_DIALOGUE, dialogue)
    ancestors = frame_ancestors()
    url = request.build_absolute_uri(dialogue.get_absolute_url())
    title = _("Đối thoại trực tuyến: %(topic)s") % {"topic": dialogue.topic}
    return render(
        request,
        "livechat/embed.html",
        {
            "dialogue": dialogue,
            "embed": {
                "url": url,
                "frame_url": url,
                **_codes(url=url, frame_url=url, title=title, height=FRAME_HEIGHT),
                "origins": [a for a in ancestors if a not in ("'self'", "'none'")],
                "is_public": dialogue.is_public,
            },
        },
    )
