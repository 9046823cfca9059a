"""Role ``memory`` on Redis.

One JSON key per value, ``<prefix>:mem:<namespace>:<key>`` (``PXAT`` when it has a
``ttl``), and per namespace the index ``<prefix>:mem-index:<namespace>``: a sorted set of
keys scored by expiry (``+inf`` for none), trimmed on every write and list.
"""

from __future__ import annotations

import json
import time
from typing import Any

from empathy_core import check_name, check_seconds, check_value
from empathy_redis.connection import RedisStore, dumps, epoch_ms


class RedisMemoryStore(RedisStore):
    """JSON values by (namespace, key) (see the module docstring for the keys)."""

    role = "memory"

    def _keys(self, namespace: str, key: str | None = None) -> tuple[str, str]:
        """(value key or ``""``, index key) for checked names."""
        namespace = check_name(namespace, "namespace")
        value_key = self.key("mem", namespace, check_name(key, "key")) if key is not None else ""
        return value_key, self.key("mem-index", namespace)

    def set_value(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        value_key, index = self._keys(namespace, key)
        text = dumps(check_value(value, f"value of {namespace}/{key}"))
        now = epoch_ms(time.time())
        expires = None if ttl is None else now + max(1, epoch_ms(check_seconds(ttl, "ttl")))
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.zremrangebyscore(index, "-inf", now)
            pipe.set(value_key, text, pxat=expires)
            pipe.zadd(index, {key: "+inf" if expires is None else expires})
            pipe.execute()

    def get_value(self, namespace: str, key: str) -> Any | None:
        value_key, _ = self._keys(namespace, key)
        with self.redis() as client:
            text = client.get(value_key)
        return None if text is None else json.loads(text)

    def delete_value(self, namespace: str, key: str) -> bool:
        value_key, index = self._keys(namespace, key)
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.delete(value_key)
            pipe.zrem(index, key)
            deleted, _ = pipe.execute()
        return bool(deleted)

    def list_keys(self, namespace: str) -> list[str]:
        _, index = self._keys(namespace)
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.zremrangebyscore(index, "-inf", epoch_ms(time.time()))
            pipe.zrange(index, 0, -1)
            return sorted(pipe.execute()[1])
