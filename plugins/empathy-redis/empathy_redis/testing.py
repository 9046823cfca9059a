"""Helpers for tests that run against a real Redis server (this plugin's and other plugins').

- :data:`REDIS_URL`: ``$EMPATHY_REDIS_URL``, default ``redis://127.0.0.1:6379/0``.
- :func:`redis_problem`: why no Redis answers there (``None`` when one does), and
  :func:`require_redis`, which skips the calling test with that reason.
- :func:`redis_prefix`: a fresh key prefix whose keys are deleted afterwards, so test runs
  sharing one server never see each other's data.
- :func:`event_store`: an opener for ``empathy_core.testing.event_processes``, which opens
  stores in subprocesses from JSON options.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from empathy_redis.events import RedisEventStore
from empathy_redis.settings import RedisSettings

REDIS_URL = os.environ.get("EMPATHY_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_problem(url: str = REDIS_URL) -> str | None:
    """``None`` when a Redis server answers ``PING`` at ``url`` within a second, else why not."""
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except redis.RedisError as exc:
        return f"no Redis server at {url} ({type(exc).__name__}: {exc}); set EMPATHY_REDIS_URL"
    return None


def require_redis(url: str = REDIS_URL) -> str:
    """``url`` when a Redis server answers there, else skip the calling test naming why."""
    problem = redis_problem(url)
    if problem:
        import pytest

        pytest.skip(problem)
    return url


def delete_prefix(url: str, prefix: str) -> None:
    """Delete every key under ``<prefix>:``."""
    import redis

    with redis.Redis.from_url(url, socket_timeout=10) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])


@contextmanager
def redis_prefix(url: str = REDIS_URL) -> Iterator[str]:
    """A fresh ``key_prefix`` (``test-<hex>``); its keys are deleted on exit."""
    prefix = f"test-{uuid.uuid4().hex}"
    try:
        yield prefix
    finally:
        delete_prefix(url, prefix)


def event_store(url: str, key_prefix: str, retention: int = 10_000) -> RedisEventStore:
    """A Redis event store under ``key_prefix`` (see ``empathy_core.testing.event_processes``)."""
    return RedisEventStore(url, RedisSettings(key_prefix=key_prefix), retention=retention)
