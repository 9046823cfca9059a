"""Entry-point module: registers ``postgresql://`` and ``postgres://`` for telemetry.

psycopg and the store module are imported only when a store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from empathy_core import Empathy


def open_telemetry_store(empathy: Empathy, settings: None, url: str) -> Any:
    """Factory for ``register("postgresql", "telemetry", ...)``: the store at ``url``.

    Called by :meth:`Empathy.open_backend <empathy_core.Empathy.open_backend>`, once per
    runtime and URL; ``settings`` is ``None`` (this plugin declares none).
    """
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    return PostgresTelemetryStore(url)


@hookimpl
def empathy_register_backends(register: Callable[..., None]) -> None:
    register("postgresql", "telemetry", open_telemetry_store)
    register("postgres", "telemetry", open_telemetry_store)
