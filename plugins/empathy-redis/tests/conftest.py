"""Fixtures: the Redis server under test and a throw-away key prefix per test.

Tests that take ``redis_url`` skip, naming the URL and the failure, when no Redis answers
at ``$EMPATHY_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). Every test gets its own
``key_prefix``; its keys are deleted afterwards, so runs never see each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from empathy_redis.settings import RedisSettings

REDIS_URL = os.environ.get("EMPATHY_REDIS_URL", "redis://127.0.0.1:6379/0")


def _unreachable(url: str) -> str | None:
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except redis.RedisError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@pytest.fixture(scope="session")
def redis_url() -> str:
    problem = _unreachable(REDIS_URL)
    if problem:
        pytest.skip(f"no Redis server at {REDIS_URL} ({problem}); set EMPATHY_REDIS_URL")
    return REDIS_URL


def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``<prefix>:``."""
    import redis

    with redis.Redis.from_url(url, socket_timeout=10) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


@pytest.fixture
def key_prefix(redis_url: str) -> Iterator[str]:
    prefix = f"test-{uuid.uuid4().hex}"
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture
def settings(key_prefix: str) -> RedisSettings:
    return RedisSettings(key_prefix=key_prefix)
