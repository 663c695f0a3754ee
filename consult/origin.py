"""WebSocket Origin check, the WebSocket's CSRF protection: a browser page may open the
dialogue socket only from this site or from a portal listed in WS_ALLOWED_ORIGINS.

Allowed when the Origin header is
- the same origin as the request (its host and port equal the Host header, and that host is
  one of ALLOWED_HOSTS, so a DNS-rebound name does not pass), or
- on a host listed in ALLOWED_HOSTS (Django's patterns, any port; `*` is not taken to mean
  "every origin" here), or
- matched by an entry of WS_ALLOWED_ORIGINS (`https://portal.example.vn`, `.example.vn`, or `*`).
A missing, unparsable or `null` Origin is refused: browsers always send one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import ParseResult, urlparse

from channels.security.websocket import OriginValidator as ChannelsOriginValidator
from channels.security.websocket import WebsocketDenier
from django.http.request import split_domain_port, validate_host


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            try:
                return value.decode("latin-1")
            except (AttributeError, UnicodeDecodeError):
                return None
    return None


class OriginValidator(ChannelsOriginValidator):
    def __init__(
        self, application: Any, *, allowed_hosts: list[str], extra_origins: list[str]
    ) -> None:
        super().__init__(application, list(extra_origins))
        self.allowed_hosts = list(allowed_hosts)
        self.named_hosts = [host for host in allowed_hosts if host != "*"]

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] != "websocket":
            raise ValueError("OriginValidator guards WebSocket connections only")
        if self.origin_allowed(_header(scope, b"origin"), _header(scope, b"host")):
            return await self.application(scope, receive, send)
        return await WebsocketDenier()(scope, receive, send)

    def origin_allowed(self, origin: str | None, host: str | None) -> bool:
        if not origin or origin.strip().lower() == "null":
            return False
        try:
            parsed: ParseResult = urlparse(origin.strip().lower())
            hostname = parsed.hostname
        except ValueError:
            return False
        if parsed.scheme not in ("http", "https") or not hostname:
            return False
        if host:
            host = host.strip().lower()
            if parsed.netloc == host and validate_host(
                split_domain_port(host)[0], self.allowed_hosts
            ):
                return True
        if validate_host(hostname, self.named_hosts):
            return True
        try:
            return any(
                pattern == "*" or self.match_allowed_origin(parsed, pattern)
                for pattern in self.allowed_origins
            )
        except ValueError:  # a malformed port in the Origin
            return False
