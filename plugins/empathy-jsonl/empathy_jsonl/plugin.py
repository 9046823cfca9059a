"""Entry-point module: the JSONL sink (``empathy_record_usage``), its settings, and ``jsonl://``.

The sink is bound to the plugin manager that registers this module (pluggy calls
``empathy_add_hookspecs`` right after registration) and reads its settings from it on the
first record: one sink per process, like the process-wide plugin manager.
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
    """The process's JSONL sink, created from the bound manager's settings on first use."""
    global _sink
    if _sink is None and _pm is not None:
        from empathy_jsonl.sink import JsonlSink

        settings = _pm.plugin_settings(_pm.get_name(sys.modules[__name__]))
        _sink = JsonlSink(settings, _pm.config)
    return _sink


@hookimpl
def empathy_record_usage(record: Any) -> None:
    try:
        current = sink()
    except Exception as exc:  # invalid settings must not break the recorded call
        logging.getLogger("empathy.telemetry.jsonl").warning("jsonl telemetry disabled: %s", exc)
        return
    if current is not None:
        current.record(record)
