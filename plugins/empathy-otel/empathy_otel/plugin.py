"""Entry-point module: the OpenTelemetry sink and its settings.

``opentelemetry`` is imported on the first usage record, never by ``empathy --help``. The
sink (an :class:`~empathy_core.sinks.LazySink`) is bound to the plugin manager that
registers this module (through ``empathy_add_hookspecs``) and built from its settings.
"""

from __future__ import annotations

from typing import Any

from empathy_core.hookspecs import hookimpl
from empathy_core.sinks import LazySink


def _build(settings: Any, config: Any) -> Any:
    from empathy_otel.sink import OtelSink

    return OtelSink(settings)


_sink = LazySink(__name__, _build, "empathy.telemetry.otel")


@hookimpl
def empathy_add_hookspecs(pluginmanager: Any) -> None:
    _sink.bind(pluginmanager)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_otel.settings import OtelSettings

    register(OtelSettings)


def sink() -> Any:
    """The OpenTelemetry sink of the bound plugin manager, built on first use."""
    return _sink.get()


@hookimpl
def empathy_record_usage(record: Any) -> None:
    _sink.record(record)
