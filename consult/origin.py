"""WebSocket Origin check: a browser page may open the dialogue socket only from this site or
from a portal listed in WS_ALLOWED_ORIGINS. A missing Origin is refused too."""

from __future__ import annotations

from typing import Any

from channels.security.websocket import OriginValidator as ChannelsOriginValidator


class OriginValidator(ChannelsOriginValidator):
    def __init__(
        self, application: Any, *, allowed_hosts: list[str], extra_origins: list[str]
    ) -> None:
        allowed = [host if host != "*" else "*" for host in allowed_hosts]
        allowed += list(extra_origins)
        super().__init__(application, allowed)
