"""The staff screens' live counts as JSON (`/dialogues/<slug>/counts/`), read every few seconds
by static/js/live_counts.js: the viewers online change without any dialogue event, so the
console's event-driven refresh alone would leave that number stale. HTTP in and out only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from livechat import page_selectors, selectors


@login_required
@require_GET
def live_counts(request: HttpRequest, slug: str) -> JsonResponse:
    """Questions pending, published, answered, awaiting a written answer, and viewers online
    (null when unknown). Moderators and leaders only."""
    dialogue = selectors.dialogue_get(slug=slug, viewer=request.user)
    counts = page_selectors.dialogue_live_counts(dialogue=dialogue, viewer=request.user)
    response = JsonResponse(counts)
    response["Cache-Control"] = "private, no-store"
    return response
