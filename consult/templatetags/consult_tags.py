"""Template helpers shared by every page (base.html)."""

from __future__ import annotations

from typing import Any

from django import template

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
