"""Fixed-window rate limits: counted per scope and identity, TooMany with Retry-After past the limit."""

from __future__ import annotations

import uuid
from unittest import mock

import pytest

from consult.errors import TooMany
from consult.ratelimit import ratelimit_hit


def identity() -> str:
    # The counters live in the shared cache (Redis in CI); never flushed from a test.
    return f"203.0.113.{uuid.uuid4().hex}"


def test_hits_up_to_the_limit_pass_and_the_next_is_refused():
    who = identity()
    for _ in range(3):
        ratelimit_hit(scope="test", identity=who, limit=3)
    with pytest.raises(TooMany) as info:
        ratelimit_hit(scope="test", identity=who, limit=3)
    assert info.value.status == 429
    assert 1 <= info.value.retry_after <= 3600


def test_scopes_and_identities_count_separately():
    who, other = identity(), identity()
    ratelimit_hit(scope="a", identity=who, limit=1)
    ratelimit_hit(scope="b", identity=who, limit=1)
    ratelimit_hit(scope="a", identity=other, limit=1)
    with pytest.raises(TooMany):
        ratelimit_hit(scope="a", identity=who, limit=1)


def test_empty_identity_or_no_limit_is_never_counted():
    for _ in range(5):
        ratelimit_hit(scope="test", identity="", limit=1)
        ratelimit_hit(scope="test", identity=identity(), limit=0)


def test_retry_after_is_the_rest_of_the_window():
    who = identity()
    with mock.patch("consult.ratelimit.time.time", return_value=7_200 + 600):
        ratelimit_hit(scope="win", identity=who, limit=1, window=3600)
        with pytest.raises(TooMany) as info:
            ratelimit_hit(scope="win", identity=who, limit=1, window=3600)
    assert info.value.retry_after == 3000


def test_a_new_window_starts_a_new_count():
    who = identity()
    with mock.patch("consult.ratelimit.time.time", return_value=36_000 + 10):
        ratelimit_hit(scope="roll", identity=who, limit=1, window=60)
    with mock.patch("consult.ratelimit.time.time", return_value=36_000 + 70):
        ratelimit_hit(scope="roll", identity=who, limit=1, window=60)
