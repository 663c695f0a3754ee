"""The "embed in the portal" page of a draft, for those who manage it: the <iframe> code (and a
plain link) that the provincial portal pastes to show the draft with its comment form, with the
origins allowed to frame it (consult.security, env CSP_FRAME_ANCESTORS). HTTP in and out only."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from consult.security import frame_ancestors
from drafts import selectors
from drafts.models import Draft


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


FRAME_HEIGHT = 1000
# The comment form's anchor on the draft page (templates/drafts/_comment_form.html).
FORM_ANCHOR = "#gop-y"


@require_GET
def draft_embed(request: HttpRequest, slug: str) -> HttpResponse:
    """The embed code of a draft's public page and its comment form (MANAGE_DRAFT)."""
    draft = selectors.draft_get_manageable(slug=slug, viewer=request.user)
    ancestors = frame_ancestors()
    page_url = request.build_absolute_uri(draft.get_absolute_url())
    title = _("Lấy ý kiến dự thảo: %(title)s") % {"title": draft.title}
    return render(
        request,
        "drafts/embed.html",
        {
            "draft": draft,
            "embed": {
                "url": page_url,
                "frame_url": page_url + FORM_ANCHOR,
                **_codes(
                    url=page_url,
                    frame_url=page_url + FORM_ANCHOR,
                    title=title,
                    height=FRAME_HEIGHT,
                ),
                "origins": [a for a in ancestors if a not in ("'self'", "'none'")],
                "is_public": draft.status == Draft.Status.PUBLISHED,
            },
        },
    )
