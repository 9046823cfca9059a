"""Openers for the test kit's cross-process suites, which open stores from JSON options."""

from __future__ import annotations

from empathy_redis.events import RedisEventStore
from empathy_redis.settings import RedisSettings


def event_store(url: str, key_prefix: str, retention: int = 10_000) -> RedisEventStore:
    """A Redis event store under ``key_prefix`` (see ``empathy_core.testing.event_processes``)."""
    return RedisEventStore(url, RedisSettings(key_prefix=key_prefix), retention=retention)
