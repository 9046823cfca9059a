"""Entry-point module: registers ``sqlite://`` for the telemetry role.

``sqlite3`` and the store module are imported only when a store is opened.
"""

from __future__ import annotations

from typing import Any

from empathy_core.hookspecs import hookimpl


def open_telemetry_store(url: str, config: Any) -> Any:
    """Factory for ``register("sqlite", "telemetry", ...)``."""
    from empathy_sqlite.telemetry_store import SQLiteTelemetryStore

    return SQLiteTelemetryStore(url)


@hookimpl
def empathy_register_backends(register: Any) -> None:
    register("sqlite", "telemetry", open_telemetry_store)
