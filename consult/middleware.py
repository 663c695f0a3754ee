from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


class LanguageQueryMiddleware:
    """`?lang=en` (or `vi`) switches the language and remembers it in the language cookie,
    so a link can open a page in English without JavaScript or a form. Without either, pages
    are in Vietnamese (settings.LANGUAGE_CODE)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.languages = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        lang = request.GET.get("lang")
        if lang not in self.languages:
            if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) not in self.languages:
                # Vietnamese by default whatever the browser's Accept-Language says: English is
                # chosen explicitly (?lang=en or the switcher), never guessed.
                translation.activate(settings.LANGUAGE_CODE)
                request.LANGUAGE_CODE = settings.LANGUAGE_CODE  # type: ignore[attr-defined]
            return self.get_response(request)
        translation.activate(lang)
        request.LANGUAGE_CODE = lang  # type: ignore[attr-defined]  # set by LocaleMiddleware too
        response = self.get_response(request)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, lang, max_age=365 * 24 * 3600, samesite="Lax"
        )
        return response


class DomainErrorMiddleware:
    """Turns a domain error that escaped an HTML view into a proper error page (never a trace)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.contrib.auth.views import redirect_to_login
        from django.shortcuts import render

        from consult.errors import DomainError, NotAuthenticated

        if not isinstance(exception, DomainError):
            return None
        if isinstance(exception, NotAuthenticated):
            return redirect_to_login(request.get_full_path())
        response = render(
            request,
            "consult/error.html",
            {"error": exception, "status": exception.status},
            status=exception.status,
        )
        retry_after = getattr(exception, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response


class NulPathMiddleware:
    """A NUL character in the path can never name anything here, and PostgreSQL refuses it in
    any query: answer 404 at once (JSON under /api/) instead of letting it reach a lookup."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if "\x00" not in request.path:
            return self.get_response(request)
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.translation import gettext as _

        from consult.errors import NotFound

        error = NotFound(_("Không tìm thấy."))
        if request.path.startswith("/api/"):
            return JsonResponse(error.as_dict(), status=404)
        return render(request, "consult/error.html", {"error": error, "status": 404}, status=404)
