"""One exception family for domain errors.

Services raise these; each edge (HTML view, JSON API, WebSocket consumer) translates them once
into a form message, the JSON error shape or an error frame.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "error"
    status = 400
    # Declared, not set: livechat.protocol sets it once a frame's request_id is known, and the
    # consumers read it with getattr(exc, "request_id", <their own>).
    request_id: str

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        fields: dict[str, str] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.fields = fields or {}
        # Extra machine-readable data, e.g. the fresh state of an item after a conflict.
        self.data = data or {}

    def as_dict(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        if self.data:
            error.update(self.data)
        return {"error": error}


class Invalid(DomainError):
    code = "invalid"
    status = 400


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Conflict(DomainError):
    """Someone else acted first, or the item is in a state where the action no longer applies."""

    code = "conflict"
    status = 409


class PeriodClosed(Conflict):
    code = "period_closed"


class TooLarge(DomainError):
    code = "too_large"
    status = 413


class TooMany(DomainError):
    code = "too_many_requests"
    status = 429

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))


class Busy(DomainError):
    """The server is taking more than it can commit right now; nothing was done. Retry after
    `retry_after` seconds (a retry with the same request_id is safe)."""

    code = "busy"
    status = 503

    def __init__(self, message: str, *, retry_after: int, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = max(1, int(retry_after))
