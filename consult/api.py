"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json). Features add their routers;
domain errors become `{"error": {"code", "message", "fields"}}` with the right status here, once."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from consult.errors import DomainError
from consult.security import api_request_refusal

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="Consult API",
    version="1",
    description="Đối thoại trực tuyến và lấy ý kiến dự thảo văn bản — live dialogues and "
    "public consultation on draft legal documents.",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, **extra: Any
) -> HttpResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    error.update({k: v for k, v in extra.items() if v})
    response = api.create_response(request, {"error": error}, status=status)
    return response


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, exc.as_dict(), status=exc.status)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for err in exc.errors:
        loc = [
            str(part)
            for part in err.get("loc", [])
            if part not in ("body", "payload", "query", "path")
        ]
        fields[".".join(loc) or "body"] = str(err.get("msg", "invalid"))
    return error_response(request, 400, "invalid", "Dữ liệu gửi lên không hợp lệ.", fields=fields)


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "not_authenticated", "Vui lòng đăng nhập bằng tài khoản cán bộ."
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = {400: "invalid", 403: "forbidden", 404: "not_found", 413: "too_large"}.get(
        exc.status_code, "error"
    )
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django refuses to read a body past DATA_UPLOAD_MAX_MEMORY_SIZE; say so as the API does.
    return error_response(request, 413, "too_large", "Dữ liệu gửi lên quá lớn.")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", "Không tìm thấy.")


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Anything unexpected: logged with its trace for the operators, never shown to the client
    # (ninja would re-raise it to Django, whose 500 page is HTML).
    log.exception("API error on %s %s", request.method, request.path)
    return error_response(
        request, 500, "server_error", "Hệ thống đang gặp sự cố. Vui lòng thử lại sau."
    )


def _refuse_forged_requests(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every operation, before validation and authentication: a state-changing request must
    be JSON and must not come from a foreign Origin (consult.security.api_request_refusal
    says why this is the API's CSRF protection; docs/security.md)."""

    if inspect.iscoroutinefunction(run):  # an asynchronous endpoint: ninja awaits its run

        @functools.wraps(run)
        async def guarded_async(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refusal = api_request_refusal(request)
            if refusal is not None:
                return refusal
            return await run(request, *args, **kwargs)

        return guarded_async  # type: ignore[return-value]

    @functools.wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refusal = api_request_refusal(request)
        if refusal is not None:
            return refusal
        return run(request, *args, **kwargs)

    return guarded


api.add_decorator(_refuse_forged_requests, mode="view")

api.add_router("/", "livechat.api.router")
api.add_router("/", "drafts.api.router")
