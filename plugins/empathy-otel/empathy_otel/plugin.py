"""Entry-point module: the OpenTelemetry sink and its settings.

``opentelemetry`` is imported on the first usage record, never by ``empathy --help``.
Each runtime has its own sink, kept in ``empathy.stash`` and built on the first record
from ``empathy.settings(OtelSettings)``; ``empathy_unconfigure`` drops it. A record that
cannot be emitted is logged once per distinct error and never raised, so one exporter
hiccup does not get the plugin disabled.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from empathy_core import StashKey, hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from empathy_core import Empathy, UsageRecord
    from empathy_otel.sink import OtelSink

log = logging.getLogger("empathy.telemetry.otel")


class _Slot:
    """Where a runtime keeps its sink (``None`` until the first record, and again after
    ``empathy_unconfigure``) and the errors already logged."""

    def __init__(self) -> None:
        self.sink: OtelSink | None = None
        self.logged: set[str] = set()
        self.lock = threading.Lock()


_SLOT = StashKey[_Slot]("empathy-otel sink")


@hookimpl
def empathy_register_settings(register: Callable[..., None]) -> None:
    from empathy_otel.settings import OtelSettings

    register(OtelSettings)


def sink(empathy: Empathy) -> OtelSink:
    """The OpenTelemetry sink of ``empathy``, built from this plugin's settings on first use
    (with the global tracer and meter providers of that moment)."""
    slot = empathy.stash.setdefault(_SLOT, _Slot())
    with slot.lock:
        if slot.sink is None:
            from empathy_otel.settings import OtelSettings
            from empathy_otel.sink import OtelSink

            slot.sink = OtelSink(empathy.settings(OtelSettings))
        return slot.sink


@hookimpl
def empathy_record_usage(empathy: Empathy, record: UsageRecord) -> None:
    current = sink(empathy)
    try:
        current.record(record)
    except Exception as exc:
        slot = empathy.stash[_SLOT]
        message = f"{type(exc).__name__}: {exc}"
        with slot.lock:
            first = message not in slot.logged
            slot.logged.add(message)
        if first:
            log.warning("usage record not written: %s", message)


@hookimpl
def empathy_unconfigure(empathy: Empathy) -> None:
    slot = empathy.stash.get(_SLOT)
    if slot is not None:
        with slot.lock:
            slot.sink = None  # the providers are the application's: it flushes and shuts them down
