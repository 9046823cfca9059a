"""``telemetry.retention_days``: UsageTracker.prune and the store writer's prune, once per
runtime before its first write."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import (
    ConfigError,
    Empathy,
    EmpathyConfig,
    EmpathyError,
    StorageError,
    TelemetryConfig,
    UsageRecord,
    UsageTracker,
    hookimpl,
    utcnow,
)
from empathy_core.testing.store_conformance import make_record
from empathy_sqlite.telemetry_store import SQLiteTelemetryStore


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'usage.db'}"


def aged(index: int, days: float) -> UsageRecord:
    return make_record(index, timestamp=utcnow() - timedelta(days=days))


def seed(url: str, *records: UsageRecord) -> None:
    store = SQLiteTelemetryStore(url)
    store.write_many(records)
    store.close()


def stored_ids(url: str) -> set[str]:
    store = SQLiteTelemetryStore(url)
    try:
        return {r.record_id for r in store.iter_records()}
    finally:
        store.close()


@pytest.fixture
def make_tracker() -> Iterator[Callable[..., UsageTracker]]:
    """``make_tracker(url, **telemetry)``: a tracker on a new runtime, closed after the test."""
    runtimes: list[Empathy] = []

    def make(url: str, *plugins: object, **telemetry: object) -> UsageTracker:
        config = EmpathyConfig(telemetry=TelemetryConfig(store=url, **telemetry))
        runtimes.append(Empathy(config, plugins=plugins or [sqlite_plugin]))
        return UsageTracker(runtimes[-1])

    yield make
    for runtime in runtimes:
        runtime.close()


def record_a_call(tracker: UsageTracker) -> None:
    """Record one call and wait until the runtime's writer has stored it."""
    tracker.track_llm_call("review", "scan", "cheap", "claude-haiku-4-5", tokens={"input": 10})
    assert tracker.empathy.flush(timeout=10)


def test_prune_defaults_to_retention_days_and_takes_days(url: str, make_tracker) -> None:
    seed(url, aged(1, 45), aged(2, 29), aged(3, 12), aged(4, 0.5))
    tracker = make_tracker(url)  # retention_days: 30
    assert tracker.prune() == 1
    assert tracker.prune() == 0
    assert tracker.prune(days=7) == 2
    assert stored_ids(url) == {"rec-000004"}
    assert tracker.get_stats(days=None)["total_calls"] == 1


@pytest.mark.parametrize("days", [0, -3])
def test_prune_refuses_non_positive_days(url: str, days: int, make_tracker) -> None:
    seed(url, aged(1, 45), aged(2, 1))
    with pytest.raises(EmpathyError, match="positive number of days"):
        make_tracker(url).prune(days=days)
    with pytest.raises(ConfigError, match=rf"telemetry.retention_days is {days}: records are kept forever"):
        make_tracker(url, retention_days=days).prune()
    assert stored_ids(url) == {"rec-000001", "rec-000002"}


def test_the_writer_prunes_once_per_runtime_before_its_first_write(url: str, make_tracker) -> None:
    seed(url, aged(1, 40), aged(2, 3))
    tracker = make_tracker(url, retention_days=30)
    assert tracker.store.count() == 2  # opening the store to read prunes nothing
    record_a_call(tracker)
    assert "rec-000001" not in stored_ids(url)  # pruned on the first write
    tracker.store.write(aged(5, 60))
    record_a_call(tracker)  # the same runtime and store: not pruned again
    assert "rec-000005" in stored_ids(url)
    assert len(stored_ids(url)) == 4
    # the prune state lives on the runtime (no module-level state): a new runtime in the
    # same process prunes before its own first write
    record_a_call(make_tracker(url, retention_days=30))
    assert "rec-000005" not in stored_ids(url)
    assert len(stored_ids(url)) == 4


def test_the_writer_keeps_everything_when_retention_is_off(url: str, make_tracker) -> None:
    seed(url, aged(1, 4000))
    tracker = make_tracker(url, retention_days=0)
    record_a_call(tracker)
    assert "rec-000001" in stored_ids(url)
    assert len(stored_ids(url)) == 2


@attrs.define
class UnprunableStore:
    """A store whose prune always fails: the writer must still write."""

    url: str
    rows: list[UsageRecord] = attrs.Factory(list)

    def write(self, record: UsageRecord) -> None:
        self.rows.append(record)

    def write_many(self, records: Iterable[UsageRecord]) -> int:
        before = len(self.rows)
        self.rows.extend(records)
        return len(self.rows) - before

    def prune(self, before: object) -> int:
        raise StorageError(f"telemetry store {self.url}: disk I/O error")

    def close(self) -> None:
        self.rows.clear()


class Unprunable:
    """Registers the ``unprunable://`` telemetry backend; keeps the stores it opened."""

    def __init__(self) -> None:
        self.stores: dict[str, UnprunableStore] = {}

    @hookimpl
    def empathy_register_backends(self, register):
        register(
            "unprunable",
            "telemetry",
            lambda empathy, settings, url: self.stores.setdefault(url, UnprunableStore(url)),
        )


def test_a_failing_prune_is_logged_once_and_never_blocks_writes(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, make_tracker
) -> None:
    url = f"unprunable://{tmp_path}"
    backend = Unprunable()
    tracker = make_tracker(url, backend)
    with caplog.at_level(logging.WARNING, logger="empathy.telemetry"):
        record_a_call(tracker)
        record_a_call(tracker)
    assert len(backend.stores[url].rows) == 2
    assert [r.getMessage() for r in caplog.records] == [
        f"telemetry: old records not pruned: telemetry store {url}: disk I/O error"
    ]
