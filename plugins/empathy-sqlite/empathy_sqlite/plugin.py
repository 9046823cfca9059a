"""Entry-point module: registers ``sqlite://`` for the telemetry role and every
coordination role (heartbeats, signals, events, approvals, memory).

``sqlite3`` and the store modules are imported only when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from empathy_core import Empathy


def open_telemetry_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for ``register("sqlite", "telemetry", ...)``: the store at ``url``.

    Called by :meth:`Empathy.open_backend <empathy_core.Empathy.open_backend>`, once per
    runtime and URL; ``settings`` is ``None`` (this plugin declares none).
    """
    from empathy_sqlite.telemetry_store import SQLiteTelemetryStore

    return SQLiteTelemetryStore(url)


def open_heartbeat_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for role ``heartbeats``."""
    from empathy_sqlite.heartbeats import SQLiteHeartbeatStore

    return SQLiteHeartbeatStore(url)


def open_signal_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for role ``signals``."""
    from empathy_sqlite.signals import SQLiteSignalStore

    return SQLiteSignalStore(url)


def open_event_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for role ``events``: each type keeps ``coordination.event_retention`` events."""
    from empathy_sqlite.events import SQLiteEventStore

    return SQLiteEventStore(url, retention=empathy.config.coordination.event_retention)


def open_approval_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for role ``approvals``."""
    from empathy_sqlite.approvals import SQLiteApprovalStore

    return SQLiteApprovalStore(url)


def open_memory_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for role ``memory``."""
    from empathy_sqlite.memory import SQLiteMemoryStore

    return SQLiteMemoryStore(url)


FACTORIES: dict[str, Callable[..., Any]] = {
    "telemetry": open_telemetry_store,
    "heartbeats": open_heartbeat_store,
    "signals": open_signal_store,
    "events": open_event_store,
    "approvals": open_approval_store,
    "memory": open_memory_store,
}


@hookimpl
def empathy_register_backends(register: Callable[..., None]) -> None:
    for role, factory in FACTORIES.items():
        register("sqlite", role, factory)
