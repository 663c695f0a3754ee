"""Fixtures of the reliability tests: a private Redis, and real servers wired to it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from tests.reliability.live import REDIS_SERVER, PrivateRedis


@pytest.fixture
def private_redis() -> Iterator[PrivateRedis]:
    """A redis-server of this test alone, on a free port, that the test may stop and start."""
    if REDIS_SERVER is None:
        pytest.skip("needs redis-server (apt-get install redis-server); CI installs it")
    redis = PrivateRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


def redis_env(redis: PrivateRedis) -> dict[str, str]:
    """The environment of a server using `redis` for its channel layer and cache."""
    tag = uuid.uuid4().hex[:8]
    return {
        "REDIS_URL": redis.url,
        "CHANNEL_PREFIX": f"rel-{tag}",
        "CACHE_PREFIX": f"rel-{tag}",
        "LOG_LEVEL": "WARNING",
    }


def session_cookie_header(user: Any) -> str:
    """A `Cookie` header value logging `user` in on any server sharing the test database."""
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"
