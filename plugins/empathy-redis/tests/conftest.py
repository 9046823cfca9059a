"""Fixtures: the Redis server under test and a throw-away key prefix per test.

Tests that take ``redis_url`` skip, naming the URL and the failure, when no Redis answers
at ``$EMPATHY_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). Every test gets its own
``key_prefix``; its keys are deleted afterwards, so runs never see each other's data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from empathy_redis.settings import RedisSettings
from empathy_redis.testing import REDIS_URL, redis_prefix, require_redis


@pytest.fixture(scope="session")
def redis_url() -> str:
    return require_redis(REDIS_URL)


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    with redis_prefix(redis_url) as prefix:
        yield prefix


@pytest.fixture
def settings(key_prefix: str) -> RedisSettings:
    return RedisSettings(key_prefix=key_prefix)
