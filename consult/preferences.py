"""Reader preferences that work without JavaScript: the text size.

The size is a cookie read by the `text_size_class` template tag, which puts a class on <html>
(consult.css scales the root font size in %, so the browser's own default size and zoom still
apply on top). The control in base.html is a small POST form, so it works with scripts off.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

TEXT_SIZE_COOKIE = "consult_text_size"
# From smallest to largest; "md" is the browser's own size (no class on <html>).
TEXT_SIZES = ("sm", "md", "lg", "xl")
TEXT_SIZE_DEFAULT = "md"


def text_size_of(request: HttpRequest) -> str:
    """The reader's chosen size, or the default for a missing or tampered cookie."""
    value = request.COOKIES.get(TEXT_SIZE_COOKIE, TEXT_SIZE_DEFAULT)
    return value if value in TEXT_SIZES else TEXT_SIZE_DEFAULT


def text_size_step(current: str, change: str) -> str:
    """`change` is "up", "down" or "reset"; the size stops at both ends."""
    if change == "reset":
        return TEXT_SIZE_DEFAULT
    index = TEXT_SIZES.index(current if current in TEXT_SIZES else TEXT_SIZE_DEFAULT)
    if change == "up":
        index = min(index + 1, len(TEXT_SIZES) - 1)
    elif change == "down":
        index = max(index - 1, 0)
    return TEXT_SIZES[index]


def _next_url(request: HttpRequest) -> str:
    """Back where the reader was: the form's `next`, else the referring page, else home; only
    ever on this site (an open redirect would let a link send people elsewhere)."""
    for candidate in (request.POST.get("next"), request.META.get("HTTP_REFERER")):
        if candidate and url_has_allowed_host_and_scheme(
            candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            return candidate
    return "/"


@require_POST
def text_size_set(request: HttpRequest) -> HttpResponse:
    """Changes the text size (`change` = up | down | reset) and goes back to the page."""
    size = text_size_step(text_size_of(request), request.POST.get("change", ""))
    response = HttpResponseRedirect(_next_url(request))
    if size == TEXT_SIZE_DEFAULT:
        response.delete_cookie(TEXT_SIZE_COOKIE, samesite="Lax")
    else:
        response.set_cookie(TEXT_SIZE_COOKIE, size, max_age=365 * 24 * 3600, samesite="Lax")
    return response
