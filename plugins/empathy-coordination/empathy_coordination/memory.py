"""``ShortTermMemory``: JSON values per user and agent, optionally expiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_coordination.facade import Facade
from empathy_core import check_name, check_seconds, check_value

if TYPE_CHECKING:
    from empathy_core import Empathy, MemoryStore


class ShortTermMemory(Facade):
    """Values of ``user_id``'s ``agent_id``, in namespace ``<user_id>.<agent_id>``."""

    def __init__(self, user_id: str, agent_id: str = "default", *, empathy: Empathy | None = None) -> None:
        self.user_id = check_name(user_id, "user_id")
        self.agent_id = check_name(agent_id, "agent_id")
        self.namespace = check_name(f"{self.user_id}.{self.agent_id}", "namespace (user_id.agent_id)")
        super().__init__(empathy)

    @property
    def memory(self) -> MemoryStore:
        store: MemoryStore = self.store("memory")
        return store

    def stash(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Keep JSON ``value`` under ``key`` (replacing it), for ``ttl`` seconds (``None``: no expiry)."""
        key = check_name(key, "key")
        value = check_value(value, "value")
        self.memory.set_value(self.namespace, key, value, None if ttl is None else check_seconds(ttl, "ttl"))

    def retrieve(self, key: str, default: Any = None) -> Any:
        """The value under ``key``, ``default`` when absent or expired."""
        value = self.memory.get_value(self.namespace, check_name(key, "key"))
        return default if value is None else value

    def forget(self, key: str) -> bool:
        """Drop ``key``; whether it was there."""
        return self.memory.delete_value(self.namespace, check_name(key, "key"))

    def keys(self) -> list[str]:
        """Unexpired keys, sorted."""
        return self.memory.list_keys(self.namespace)
