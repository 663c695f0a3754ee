"""The JSON API at /api/v1/ (OpenAPI at /api/v1/openapi.json). Features add their routers;
domain errors become `{"error": {"code", "message", "fields"}}` with the right status here, once."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from consult.errors import DomainError

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


api.add_router("/", "livechat.api.router")
api.add_router("/", "drafts.api.router")
