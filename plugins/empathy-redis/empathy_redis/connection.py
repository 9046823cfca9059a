"""What every Redis store shares: one connection pool per URL, bounded calls, error mapping.

A pool is shared by every store of the process opened on the same URL and timeouts; the
last store to close it disconnects it. Calls never retry (a retried ``XADD`` could publish
twice) and every redis-py error becomes :class:`~empathy_core.StorageError` naming the
URL with its password redacted.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from empathy_core import StorageError, redact_url
from empathy_redis.settings import RedisSettings

_PoolKey = tuple[str, float, float]
_pools: dict[_PoolKey, tuple[redis.ConnectionPool, int]] = {}
_pools_lock = threading.Lock()


def _acquire_pool(key: _PoolKey) -> redis.ConnectionPool:
    url, socket_timeout, connect_timeout = key
    with _pools_lock:
        pool, users = _pools.get(key, (None, 0))
        if pool is None:
            pool = redis.ConnectionPool.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=connect_timeout,
                retry=Retry(NoBackoff(), 0),
                decode_responses=True,
            )
        _pools[key] = (pool, users + 1)
        return pool


def _release_pool(key: _PoolKey) -> None:
    with _pools_lock:
        pool, users = _pools[key]
        if users > 1:
            _pools[key] = (pool, users - 1)
            return
        del _pools[key]
    pool.disconnect()


def dumps(data: Any) -> str:
    """Compact JSON of checked, JSON-safe data."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False)


def epoch_ms(seconds: float) -> int:
    """Seconds since the epoch as whole milliseconds (Redis expiry and score units)."""
    return int(seconds * 1000)


def check_count(value: Any, what: str) -> int:
    """``value`` as a positive int, else ``ValueError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


def check_ms(value: Any, what: str) -> int:
    """``value`` as whole milliseconds >= 0, else ``ValueError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{what} must be a whole number of milliseconds >= 0, got {value!r}")
    return value


class RedisStore:
    """Base of the role stores: the client, key names, bounded and translated calls."""

    role = "redis"

    def __init__(self, url: str, settings: RedisSettings | None = None) -> None:
        self.settings = settings or RedisSettings()
        self.url = redact_url(url)
        self.prefix = self.settings.key_prefix
        if not url.startswith(("redis://", "rediss://")):
            raise StorageError(f"redis {self.role} store: not a redis:// URL: {self.url}")
        self._pool_key: _PoolKey = (url, self.settings.socket_timeout, self.settings.connect_timeout)
        try:
            self._client: redis.Redis | None = redis.Redis(connection_pool=_acquire_pool(self._pool_key))
        except ValueError as exc:
            raise StorageError(f"redis {self.role} store {self.url}: {exc}") from None
        self._close_lock = threading.Lock()

    def key(self, *parts: str) -> str:
        """``<prefix>:<part>:<part>...``; the parts are checked names or fixed words."""
        return ":".join((self.prefix, *parts))

    @property
    def block_slice(self) -> float:
        """Seconds one blocking command may wait: half the socket timeout, so the reply
        always comes well before the socket gives up on a silent server."""
        return self.settings.socket_timeout / 2

    @contextmanager
    def redis(self) -> Iterator[redis.Redis]:
        """The client; any Redis failure inside becomes ``StorageError`` naming the store."""
        client = self._client
        if client is None:
            raise StorageError(f"redis {self.role} store {self.url} is closed")
        try:
            yield client
        except redis.RedisError as exc:
            raise StorageError(f"redis {self.role} store {self.url}: {type(exc).__name__}: {exc}") from exc

    def script(self, source: str) -> Any:
        """A registered Lua script (sent by SHA, loaded on first use)."""
        with self.redis() as client:
            return client.register_script(source)

    def close(self) -> None:
        """Release the pool (disconnected when its last store closes); idempotent."""
        with self._close_lock:
            if self._client is None:
                return
            self._client = None
        _release_pool(self._pool_key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r}, key_prefix={self.prefix!r})"
