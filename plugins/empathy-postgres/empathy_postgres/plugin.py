"""Entry-point module: registers ``postgresql://`` and ``postgres://`` for telemetry.

psycopg and the store module are imported only when a store is opened.
"""

from __future__ import annotations

from typing import Any

from empathy_core.hookspecs import hookimpl


def open_telemetry_store(url: str, config: Any) -> Any:
    """Factory for ``register("postgresql", "telemetry", ...)``."""
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    return PostgresTelemetryStore(url)


@hookimpl
def empathy_register_backends(register: Any) -> None:
    register("postgresql", "telemetry", open_telemetry_store)
    register("postgres", "telemetry", open_telemetry_store)
