"""Entry-point module: the OpenTelemetry sink and its settings.

``opentelemetry`` is imported on the first usage record, never by ``empathy --help``. The
sink is bound to the plugin manager that registers this module (through
``empathy_add_hookspecs``) and reads its settings there: one sink per process.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from empathy_core.hookspecs import hookimpl

_pm: Any = None
_sink: Any = None


@hookimpl
def empathy_add_hookspecs(pluginmanager: Any) -> None:
    global _pm, _sink
    _pm, _sink = pluginmanager, None


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_otel.settings import OtelSettings

    register(OtelSettings)


def sink() -> Any:
    """The process's sink, created from the bound manager's settings on first use."""
    global _sink
    if _sink is None and _pm is not None:
        from empathy_otel.sink import OtelSink

        _sink = OtelSink(_pm.plugin_settings(_pm.get_name(sys.modules[__name__])))
    return _sink


@hookimpl
def empathy_record_usage(record: Any) -> None:
    try:
        current = sink()
        if current is not None:
            current.record(record)
    except Exception as exc:  # a telemetry sink never breaks the recorded call
        logging.getLogger("empathy.telemetry.otel").warning("otel telemetry: record not emitted: %s", exc)
