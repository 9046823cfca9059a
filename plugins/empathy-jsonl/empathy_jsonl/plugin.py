"""Entry-point module: the JSONL sink (``empathy_record_usage``), its settings, and ``jsonl://``.

The sink (an :class:`~empathy_core.sinks.LazySink`) is bound to the plugin manager that
registers this module (pluggy calls ``empathy_add_hookspecs`` right after registration)
and built from this plugin's settings on the first record.
"""

from __future__ import annotations

from typing import Any

from empathy_core.hookspecs import hookimpl
from empathy_core.sinks import LazySink


def _build(settings: Any, config: Any) -> Any:
    from empathy_jsonl.sink import JsonlSink

    return JsonlSink(settings, config)


_sink = LazySink(__name__, _build, "empathy.telemetry.jsonl")


@hookimpl
def empathy_add_hookspecs(pluginmanager: Any) -> None:
    _sink.bind(pluginmanager)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_jsonl.settings import JsonlSettings

    register(JsonlSettings)


def open_telemetry_store(url: str, config: Any) -> Any:
    """Factory for ``register("jsonl", "telemetry", ...)``."""
    from empathy_jsonl.store import JsonlTelemetryStore

    return JsonlTelemetryStore(url)


@hookimpl
def empathy_register_backends(register: Any) -> None:
    register("jsonl", "telemetry", open_telemetry_store)


def sink() -> Any:
    """The JSONL sink of the bound plugin manager, built on first use."""
    return _sink.get()


@hookimpl
def empathy_record_usage(record: Any) -> None:
    _sink.record(record)
