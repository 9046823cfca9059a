"""Entry-point module: the JSONL sink (``empathy_record_usage``), its settings, and ``jsonl://``.

Each runtime has its own sink, kept in ``empathy.stash`` and built on the first record
from ``empathy.settings(JsonlSettings)``; ``empathy_unconfigure`` drops it.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from empathy_core import StashKey, hookimpl

if TYPE_CHECKING:
    from collections.abc import Callable

    from empathy_core import Empathy, UsageRecord
    from empathy_jsonl.settings import JsonlSettings
    from empathy_jsonl.sink import JsonlSink


class _Slot:
    """Where a runtime keeps its sink: ``None`` until the first record, and again after
    ``empathy_unconfigure``."""

    def __init__(self) -> None:
        self.sink: JsonlSink | None = None
        self.lock = threading.Lock()


_SLOT = StashKey[_Slot]("empathy-jsonl sink")


@hookimpl
def empathy_register_settings(register: Callable[..., None]) -> None:
    from empathy_jsonl.settings import JsonlSettings

    register(JsonlSettings)


def open_telemetry_store(empathy: Empathy, settings: JsonlSettings | None, url: str) -> Any:
    """Factory for ``register("jsonl", "telemetry", ...)``: the store at ``url``."""
    from empathy_jsonl.store import JsonlTelemetryStore

    return JsonlTelemetryStore(url)


@hookimpl
def empathy_register_backends(register: Callable[..., None]) -> None:
    register("jsonl", "telemetry", open_telemetry_store)


def sink(empathy: Empathy) -> JsonlSink:
    """The JSONL sink of ``empathy``, built from this plugin's settings on first use."""
    slot = empathy.stash.setdefault(_SLOT, _Slot())
    with slot.lock:
        if slot.sink is None:
            from empathy_jsonl.settings import JsonlSettings
            from empathy_jsonl.sink import JsonlSink

            slot.sink = JsonlSink(empathy.settings(JsonlSettings), empathy.config)
        return slot.sink


@hookimpl
def empathy_record_usage(empathy: Empathy, record: UsageRecord) -> None:
    sink(empathy).record(record)


@hookimpl
def empathy_unconfigure(empathy: Empathy) -> None:
    slot = empathy.stash.get(_SLOT)
    if slot is not None:
        with slot.lock:
            slot.sink = None  # nothing is held open: each append opens and closes its file
