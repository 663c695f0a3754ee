"""Fixed-window rate limits on the shared cache (Redis in production)."""

from __future__ import annotations

import hashlib
import logging
import time

from django.core.cache import cache
from django.utils.translation import gettext as _

from consult.errors import TooMany

logger = logging.getLogger(__name__)

# After the cache failed, limits are not counted for this long instead of waiting on a dead or
# hung cache at every submission (a hung Redis costs its socket timeout per call).
CACHE_RETRY_SECONDS = 30.0
_cache_down_until = 0.0


def _key(scope: str, identity: str, window: int) -> tuple[str, int]:
    now = int(time.time())
    bucket = now // window
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{bucket}", window - (now % window)


def ratelimit_hit(*, scope: str, identity: str, limit: int, window: int = 3600) -> None:
    """Count one hit for `identity` in `scope`; raise TooMany (with Retry-After) past `limit`."""
    if not identity or limit <= 0:
        return
    global _cache_down_until
    if time.monotonic() < _cache_down_until:
        return
    key, retry_after = _key(scope, identity, window)
    try:
        if cache.add(key, 1, timeout=window + 1):
            count = 1
        else:
            try:
                count = cache.incr(key)
            except ValueError:
                cache.set(key, 1, timeout=window + 1)
                count = 1
    except Exception:
        # The cache (Redis) is down: a citizen's question or comment is worth more than the
        # count; let it through (moderators screen everything) rather than lose it.
        logger.warning("rate limit %s not counted: the cache failed", scope, exc_info=True)
        _cache_down_until = time.monotonic() + CACHE_RETRY_SECONDS
        return
    if count > limit:
        raise TooMany(
            _("Bạn đã gửi quá nhiều lần. Vui lòng thử lại sau %(minutes)s phút.")
            % {"minutes": max(1, retry_after // 60)},
            retry_after=retry_after,
        )
