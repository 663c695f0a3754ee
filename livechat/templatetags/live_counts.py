"""`{% live_counts dialogue %}`: the staff screens' counts (pending, published, answered,
awaiting a written answer, viewers online), rendered by the console and the presenter screen
and kept fresh by their scripts (console.js swaps the region on every event; live_counts.js
reads the numbers every few seconds for the viewers, who come and go without events)."""

from __future__ import annotations

from typing import Any

from django import template

from livechat import page_selectors
from livechat.models import Dialogue

register = template.Library()


@register.inclusion_tag("livechat/_live_counts.html", takes_context=True)
def live_counts(context: template.Context, dialogue: Dialogue) -> dict[str, Any]:
    viewer = context["request"].user
    return {
        "dialogue": dialogue,
        "counts": page_selectors.dialogue_live_counts(dialogue=dialogue, viewer=viewer),
    }
