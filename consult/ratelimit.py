"""Fixed-window rate limits on the shared cache (Redis in production)."""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from consult.errors import TooMany


def _key(scope: str, identity: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    bucket = now // window
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{bucket}", window - (now % window)


def ratelimit_hit(*, scope: str, identity: str, limit: int, window: int = 3600) -> None:
    """Count one hit for `identity` in `scope`; raise TooMany (with Retry-After) past `limit`."""
    if not identity or limit <= 0:
        return
    key, retry_after = _key(scope, identity, window)
    if cache.add(key, 1, timeout=window + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window + 1)
            count = 1
    if count > limit:
        raise TooMany(
            _("Bạn đã gửi quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.")
            % {"minutes": max(1, retry_after // 60)},
            retry_after=retry_after,
        )
