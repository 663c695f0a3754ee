"""HTTP hardening in one place: framing of the embeddable public pages, the request size
fence, the error pages that never show a trace, the login lockout page and the guard of the
JSON API's state-changing requests.

Settings that drive it live in consult/settings/base.py (CONTENT_SECURITY_POLICY,
CONSULT_FRAME_ANCESTORS, MAX_REQUEST_BYTES, AXES_*); docs/security.md explains the choices.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

log = logging.getLogger(__name__)

API_PREFIX = "/api/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

# Public pages a provincial portal may show inside its own page (an <iframe>): the live page
# and everything a citizen reaches from it without leaving the frame (the question form posts
# to the live page and lands on the tracking page; a support posts and comes back), and the
# draft pages with their comment form. Named by URL name, not by path prefix, so that
# /dialogues/<slug>/moderate/ and /present/ (staff screens) can never match by accident.
EMBEDDABLE_VIEWS = frozenset(
    {
        "livechat:dialogue-list",
        "livechat:dialogue-detail",
        "livechat:question-upvote",
        "livechat:track-form",
        "livechat:track-detail",
        "drafts:draft-list",
        "drafts:draft-detail",
        "drafts:comment-submit",
        # A draft page's links to its comments stay inside the frame.
        "drafts:comment-list",
        "drafts:comment-permalink",
    }
)


def client_ip(request: HttpRequest) -> str:
    """The client's address as every limit sees it. Behind the reverse proxy daphne runs with
    --proxy-headers, so REMOTE_ADDR is already the client (docs/deployment.md)."""
    return str(request.META.get("REMOTE_ADDR", ""))


def _json_error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


# --- framing ---------------------------------------------------------------------------------


def frame_ancestors() -> list[str]:
    """Who may frame the embeddable pages (env CSP_FRAME_ANCESTORS); empty means nobody."""
    return [a for a in getattr(settings, "CONSULT_FRAME_ANCESTORS", ["'self'"]) if a]


class EmbeddingMiddleware:
    """Lets the EMBEDDABLE_VIEWS be framed by the configured origins and nothing else.

    Every other response keeps X-Frame-Options: DENY and CSP frame-ancestors 'none'. For an
    embeddable view the CSP frame-ancestors becomes CONSULT_FRAME_ANCESTORS, and X-Frame-Options
    says the same thing (SAMEORIGIN for 'self' alone) or is left out when another origin is
    listed, since X-Frame-Options cannot name one and browsers that know CSP ignore it then.
    Listed inside XFrameOptionsMiddleware so it runs first on the way out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None or match.view_name not in EMBEDDABLE_VIEWS:
            return response
        ancestors = frame_ancestors()
        if not ancestors or ancestors == ["'none'"]:
            return response  # nobody may frame: the defaults (DENY, 'none') already say so
        replace = dict(getattr(response, "_csp_replace", None) or {})
        replace["frame-ancestors"] = ancestors
        response._csp_replace = replace  # type: ignore[attr-defined]  # read by django-csp
        if ancestors == ["'self'"]:
            response.setdefault("X-Frame-Options", "SAMEORIGIN")
        else:
            response.xframe_options_exempt = True  # type: ignore[attr-defined]  # read by Django
        return response


# --- request size ------------------------------------------------------------------------------


class RequestSizeMiddleware:
    """Refuses with 413 a request whose Content-Length exceeds MAX_REQUEST_BYTES, before any
    view, form or upload handler parses it. Under ASGI the server has already spooled the body
    to a temporary file by then, so the reverse proxy's client_max_body_size is the real
    bound on what reaches the machine (docs/deployment.md); Django still refuses non-file
    bodies past DATA_UPLOAD_MAX_MEMORY_SIZE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_REQUEST_BYTES:
            message = _("Dữ liệu gửi lên quá lớn.")
            if request.path.startswith(API_PREFIX):
                return _json_error(413, "too_large", message)
            return static_error_response(413, message)
        return self.get_response(request)


# --- error pages -------------------------------------------------------------------------------

_TITLES = {
    400: gettext_noop("Yêu cầu không hợp lệ"),
    403: gettext_noop("Không có quyền truy cập"),
    404: gettext_noop("Không tìm thấy trang"),
    413: gettext_noop("Dữ liệu gửi lên quá lớn"),
    500: gettext_noop("Hệ thống đang gặp sự cố"),
}


def static_error_response(status: int, message: str = "") -> HttpResponse:
    """An error page that needs nothing that could itself fail: no request context (so no
    context processor, no database, no session), no {% url %}, no static-file manifest."""
    template = loader.get_template("consult/http_error.html")
    body = template.render(
        {
            "status": status,
            "title": _(_TITLES.get(status, gettext_noop("Không thực hiện được"))),
            "message": message,
            "static_url": settings.STATIC_URL,
        }
    )
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400: a refused request (oversized form, bad host...), without details."""
    if request.path.startswith(API_PREFIX):
        return _json_error(400, "invalid", _("Yêu cầu không hợp lệ."))
    return static_error_response(400, _("Yêu cầu không hợp lệ. Vui lòng quay lại và thử lại."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    if request.path.startswith(API_PREFIX):
        return _json_error(403, "forbidden", _("Bạn không có quyền thực hiện thao tác này."))
    return static_error_response(403, _("Bạn không có quyền thực hiện thao tác này."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: the form came from elsewhere or the page was open too long."""
    return static_error_response(
        403,
        _(
            "Biểu mẫu đã hết hạn hoặc không được gửi từ trang này. "
            "Vui lòng tải lại trang rồi gửi lại."
        ),
    )


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the site's own page (with its navigation) for pages, JSON for the API."""
    if request.path.startswith(API_PREFIX):
        return _json_error(404, "not_found", _("Không tìm thấy."))
    return render(request, "consult/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: never a trace, whatever DEBUG says in a misconfigured deployment; the
    exception itself is already logged by Django's request logger."""
    if request.path.startswith(API_PREFIX):
        return _json_error(500, "server_error", _("Hệ thống đang gặp sự cố. Vui lòng thử lại sau."))
    return static_error_response(
        500,
        _("Hệ thống đang gặp sự cố. Vui lòng thử lại sau ít phút; dữ liệu của bạn không bị mất."),
    )


# --- login lockout ---------------------------------------------------------------------------


def login_lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: a friendly page, 429 with Retry-After.

    django-axes calls it with (request, response, credentials) from its sync path and
    (request, credentials) from its async path; neither extra argument is needed here.
    Each try while locked restarts the cool-off, so the full cool-off is the exact wait.
    """
    cool_off = settings.AXES_COOLOFF_TIME
    seconds = int(cool_off.total_seconds())
    response = render(
        request,
        "consult/login_locked.html",
        {"minutes": max(1, seconds // 60)},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


# --- JSON API: state-changing requests --------------------------------------------------------


def api_request_refusal(request: HttpRequest) -> HttpResponse | None:
    """Why a state-changing API request must be refused, as a response; None to go on.

    The public endpoints take no login, so neither Django's CSRF middleware (ninja exempts
    its views) nor a token applies; what keeps another site from making a visitor's browser
    post to them (cross-site request forgery, e.g. supports counted from every visitor of a
    hostile page) is:
    - a body must be `application/json`: an HTML form can only send urlencoded, multipart
      or text/plain, and a script on another origin cannot send JSON without a CORS
      preflight, which this site never answers with permission (415 otherwise); a request
      without any body or type (an upvote) is the one a cross-origin script could still
      send, and it always carries an Origin;
    - a request that carries an Origin (browsers always send one on a cross-origin POST)
      must come from this site or a trusted origin (403 otherwise).
    Scripts and servers (no Origin) only need the content type. The staff endpoints also
    check Django's CSRF token, through ninja's session authentication.
    """
    if request.method in SAFE_METHODS:
        return None
    origin = request.headers.get("Origin")
    if origin is not None and not origin_trusted(origin, request.META.get("HTTP_HOST")):
        return _json_error(
            403, "csrf", _("Yêu cầu đến từ một trang khác nên không được chấp nhận.")
        )
    # No body at all (an upvote) needs no type; a cross-origin one still carries an Origin.
    empty = not request.META.get("CONTENT_TYPE") and request.META.get("CONTENT_LENGTH") in (
        None,
        "",
        "0",
    )
    if request.content_type != "application/json" and not empty:
        return _json_error(
            415,
            "unsupported_media_type",
            _("Dữ liệu phải được gửi dưới dạng JSON (Content-Type: application/json)."),
        )
    return None


def origin_trusted(origin: str, host: str | None) -> bool:
    """The same rule as the WebSocket Origin check (consult/origin.py), plus the origins
    Django's CSRF protection trusts."""
    from consult.origin import OriginValidator

    consult: dict[str, Any] = settings.CONSULT
    validator = OriginValidator(
        None,
        allowed_hosts=settings.ALLOWED_HOSTS,
        extra_origins=[
            *consult["WS_ALLOWED_ORIGINS"],
            *getattr(settings, "CSRF_TRUSTED_ORIGINS", []),
        ],
    )
    return validator.origin_allowed(origin, host)
