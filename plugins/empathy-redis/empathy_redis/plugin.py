"""Entry-point module: the settings class and ``redis://`` / ``rediss://`` for the
heartbeats, signals, events, approvals and memory roles.

redis-py and the store modules are imported only when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from empathy_core import Empathy
    from empathy_redis.settings import RedisSettings

SCHEMES = ("redis", "rediss")


def _settings(settings: RedisSettings | None) -> RedisSettings:
    from empathy_redis.settings import RedisSettings

    return settings if settings is not None else RedisSettings()


def open_heartbeat_store(empathy: Empathy, settings: RedisSettings | None, url: str) -> Any:
    """Factory for role ``heartbeats``."""
    from empathy_redis.heartbeats import RedisHeartbeatStore

    return RedisHeartbeatStore(url, _settings(settings))


def open_signal_store(empathy: Empathy, settings: RedisSettings | None, url: str) -> Any:
    """Factory for role ``signals``."""
    from empathy_redis.signals import RedisSignalStore

    return RedisSignalStore(url, _settings(settings))


def open_event_store(empathy: Empathy, settings: RedisSettings | None, url: str) -> Any:
    """Factory for role ``events``: each type keeps ``coordination.event_retention`` events."""
    from empathy_redis.events import RedisEventStore

    return RedisEventStore(url, _settings(settings), retention=empathy.config.coordination.event_retention)


def open_approval_store(empathy: Empathy, settings: RedisSettings | None, url: str) -> Any:
    """Factory for role ``approvals``."""
    from empathy_redis.approvals import RedisApprovalStore

    return RedisApprovalStore(url, _settings(settings))


def open_memory_store(empathy: Empathy, settings: RedisSettings | None, url: str) -> Any:
    """Factory for role ``memory``."""
    from empathy_redis.memory import RedisMemoryStore

    return RedisMemoryStore(url, _settings(settings))


FACTORIES: dict[str, Callable[..., Any]] = {
    "heartbeats": open_heartbeat_store,
    "signals": open_signal_store,
    "events": open_event_store,
    "approvals": open_approval_store,
    "memory": open_memory_store,
}


@hookimpl
def empathy_register_settings(register: Callable[..., None]) -> None:
    from empathy_redis.settings import RedisSettings

    register(RedisSettings)


@hookimpl
def empathy_register_backends(register: Callable[..., None]) -> None:
    for scheme in SCHEMES:
        for role, factory in FACTORIES.items():
            register(scheme, role, factory)
