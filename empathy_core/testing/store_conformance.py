"""The conformance suite every :class:`~empathy_core.TelemetryStore` must pass.

Subclass it in your plugin's tests and provide a ``store_factory`` fixture: a callable
that opens a *new* store instance on one shared, initially empty location (so the suite
can check persistence and several connections). Clean the location up after ``yield``::

    import pytest
    from empathy_core.testing.store_conformance import TelemetryStoreConformance

    class TestMyStore(TelemetryStoreConformance):
        @pytest.fixture
        def store_factory(self, tmp_path):
            yield lambda: MyStore(f"my:///{tmp_path}/db")

Stores opened through the factory are closed by the suite. The expected aggregates
are computed with :func:`empathy_core.group_records`, the plain definition.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest

from empathy_core import StorageError, TelemetryStore, Usage, UsageRecord, group_records

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    return (moment - EPOCH) // timedelta(microseconds=1)


def from_us(value: int) -> datetime:
    """Inverse of :func:`to_us`."""
    return EPOCH + timedelta(microseconds=value)

MODELS = {"cheap": "claude-haiku-4-5", "capable": "claude-sonnet-4-6", "premium": "claude-opus-4-6"}
NOW = datetime(2026, 11, 20, 15, 30, 12, 345678, tzinfo=UTC)


def make_record(index: int, *, timestamp: datetime | None = None, **overrides: Any) -> UsageRecord:
    """A deterministic, varied record: tiers, workflows, stages, cache traffic, failures."""
    tier = ("cheap", "capable", "premium")[index % 3]
    success = index % 7 != 0
    usage = Usage(
        input_tokens=100 + index,
        output_tokens=50 + index % 13,
        cache_write_5m_tokens=200 if index % 5 == 0 else 0,
        cache_write_1h_tokens=300 if index % 11 == 0 else 0,
        cache_read_tokens=1000 + index if index % 2 else 0,
    )
    fields: dict[str, Any] = {
        "workflow": ("code-review", "bug-predict", "doc-gen")[index // 3 % 3],
        "stage": ("scan", "analyse")[index % 2],
        "tier": tier,
        "provider": "anthropic",
        "model": MODELS[tier],
        "usage": usage if success else Usage(),
        "cost": round((index % 17 + 1) * 0.000123, 9) if success else 0.0,
        "duration_ms": 10.0 + index,
        "success": success,
        "error": None if success else "ProviderError: overloaded",
        "batch": index % 4 == 0,
        "request_id": f"req_{index}",
        "run_id": f"run{index // 10}",
        "user_id": f"sha256:{index % 3}",
        "timestamp": timestamp or NOW - timedelta(minutes=97 * index),
        "record_id": f"rec-{index:06d}",
    }
    fields.update(overrides)
    return UsageRecord(**fields)


def _sorted_groups(groups: list[Any]) -> list[Any]:
    return sorted(groups, key=lambda g: (g.workflow, g.stage, g.tier, g.model, g.batch, g.success))


def assert_same_groups(actual: list[Any], expected: list[Any]) -> None:
    """Assert two group lists are equal in any order (float duration sums approximately)."""
    actual, expected = _sorted_groups(actual), _sorted_groups(expected)
    assert [attrs.evolve(g, duration_ms=0.0) for g in actual] == [
        attrs.evolve(g, duration_ms=0.0) for g in expected
    ]
    assert [g.duration_ms for g in actual] == pytest.approx([g.duration_ms for g in expected])


def _same_record(actual: UsageRecord, expected: UsageRecord) -> None:
    assert attrs.evolve(actual, cost=0.0) == attrs.evolve(expected, cost=0.0)
    assert actual.cost == pytest.approx(expected.cost, abs=1e-9)


PRUNE_BEFORE = from_us(to_us(NOW) // DAY_US * DAY_US) - timedelta(days=9, hours=11, minutes=29, seconds=43)
"""A cutoff inside an hour inside a day, so both rollup buckets straddle it."""


def _records_around(before: datetime) -> list[UsageRecord]:
    """Records over about 27 days plus some right around ``before``: in its hour and its
    day on both sides, and one microsecond either side of it."""
    offsets = (
        timedelta(microseconds=-1),
        timedelta(0),
        timedelta(microseconds=1),
        timedelta(minutes=-20),
        timedelta(minutes=25),
        timedelta(hours=-5),
        timedelta(hours=6),
        timedelta(hours=-11),
        timedelta(hours=12),
    )
    close = [make_record(1000 + i, timestamp=before + offset) for i, offset in enumerate(offsets)]
    return [make_record(i) for i in range(400)] + close


def _assert_holds_exactly(store: Any, kept: list[UsageRecord]) -> None:
    """``store`` answers every query as if it only ever held ``kept``."""
    oldest_first = sorted(kept, key=lambda r: r.timestamp)
    hour = from_us(to_us(PRUNE_BEFORE) // HOUR_US * HOUR_US)
    day = from_us(to_us(PRUNE_BEFORE) // DAY_US * DAY_US)
    assert store.count() == len(kept)
    for since in (
        None,
        PRUNE_BEFORE,
        PRUNE_BEFORE - timedelta(microseconds=1),
        PRUNE_BEFORE + timedelta(microseconds=1),
        hour,
        hour + timedelta(hours=1),
        day,
        day + timedelta(days=1),
        day - timedelta(days=2, minutes=7),
        NOW - timedelta(days=2, hours=3),
    ):
        expected = group_records(r for r in kept if since is None or r.timestamp >= since)
        assert_same_groups(store.stats(since), expected)
    assert {r.record_id for r in store.recent(len(kept) + 10)} == {r.record_id for r in kept}
    assert [r.timestamp for r in store.recent(len(kept) + 10)] == [r.timestamp for r in oldest_first][::-1]
    assert [r.timestamp for r in store.iter_records()] == [r.timestamp for r in oldest_first]
    assert {r.record_id for r in store.iter_records()} == {r.record_id for r in kept}
    since = PRUNE_BEFORE - timedelta(days=1)
    bounded = {r.record_id for r in kept if r.timestamp >= since}
    assert {r.record_id for r in store.recent(1000, since)} == bounded
    assert {r.record_id for r in store.iter_records(since)} == bounded


class TelemetryStoreConformance:
    """Behaviour every telemetry store shares. Provide ``store_factory`` in a subclass."""

    @pytest.fixture
    def open_store(self, store_factory: Callable[[], TelemetryStore]) -> Iterator[Callable[[], Any]]:
        """Open stores through the factory and close them all after the test."""
        opened: list[TelemetryStore] = []

        def open_one() -> Any:
            opened.append(store_factory())
            return opened[-1]

        yield open_one
        for store in opened:
            store.close()

    @pytest.fixture
    def store(self, open_store: Callable[[], Any]) -> Any:
        return open_store()

    # -- contract basics -------------------------------------------------------------

    def test_satisfies_the_protocol(self, store: Any) -> None:
        assert isinstance(store, TelemetryStore)
        assert isinstance(store.schema_version, int) and store.schema_version >= 1
        assert isinstance(store.url, str) and store.url

    def test_empty_store_answers_with_nothing(self, store: Any) -> None:
        assert store.count() == 0
        assert store.stats() == []
        assert store.stats(NOW - timedelta(days=30)) == []
        assert store.recent(10) == []
        assert list(store.iter_records()) == []

    def test_a_record_round_trips_exactly(self, store: Any) -> None:
        record = make_record(3, prompt="review this", user_id="alice")
        store.write(record)
        [back] = store.recent(1)
        _same_record(back, record)
        assert back.timestamp.tzinfo is not None

    def test_writes_are_idempotent_per_record_id(self, store: Any) -> None:
        records = [make_record(i) for i in range(20)]
        assert store.write_many(records) == 20
        assert store.write_many(records[:5]) == 0
        store.write(records[0])
        assert store.count() == 20
        assert_same_groups(store.stats(), group_records(records))

    def test_write_many_of_nothing_is_a_no_op(self, store: Any) -> None:
        assert store.write_many([]) == 0
        assert store.count() == 0

    def test_a_failing_batch_stores_nothing(self, store: Any) -> None:
        good = [make_record(i) for i in range(5)]
        broken = make_record(99, workflow=None)
        with pytest.raises(StorageError):
            store.write_many([*good, broken])
        assert store.count() == 0
        assert store.stats() == []
        store.write_many(good)  # whatever the failed batch created is gone, not half-known
        assert_same_groups(store.stats(), group_records(good))
        assert_same_groups(store.stats(NOW - timedelta(days=3)), group_records(good))

    # -- queries ---------------------------------------------------------------------

    def test_stats_match_the_plain_definition_for_any_since(self, store: Any) -> None:
        records = [make_record(i) for i in range(400)]  # about 27 days, many groups
        store.write_many(records[:250])
        for record in records[250:]:
            store.write(record)
        day_start = from_us(to_us(NOW) // DAY_US * DAY_US)
        bounds = [
            None,
            NOW + timedelta(days=1),
            records[10].timestamp,  # inclusive bound on an exact record time
            records[10].timestamp + timedelta(microseconds=1),
            day_start,  # exactly midnight
            from_us(to_us(NOW) // HOUR_US * HOUR_US),  # exactly on the hour
            NOW - timedelta(minutes=30),
            day_start - timedelta(days=3),
            NOW - timedelta(days=7, hours=5, minutes=3),
            NOW - timedelta(days=365),
        ]
        for since in bounds:
            expected = group_records(r for r in records if since is None or r.timestamp >= since)
            assert_same_groups(store.stats(since), expected)

    def test_recent_is_newest_first_limited_and_bounded(self, store: Any) -> None:
        records = [make_record(i) for i in range(30)]
        store.write_many(reversed(records))
        newest = store.recent(5)
        assert [r.record_id for r in newest] == [r.record_id for r in records[:5]]
        since = records[12].timestamp
        bounded = store.recent(100, since)
        assert [r.record_id for r in bounded] == [r.record_id for r in records[:13]]
        assert store.recent(0) == []

    def test_iter_records_streams_everything_oldest_first(self, store: Any) -> None:
        same_time = NOW - timedelta(hours=1)
        records = [make_record(i) for i in range(1200)]
        records += [make_record(2000 + i, timestamp=same_time) for i in range(1100)]
        store.write_many(records)
        listed = list(store.iter_records())
        assert len(listed) == len(records)
        assert len({r.record_id for r in listed}) == len(records)
        times = [r.timestamp for r in listed]
        assert times == sorted(times)
        since = records[600].timestamp
        expected = {r.record_id for r in records if r.timestamp >= since}
        assert {r.record_id for r in store.iter_records(since)} == expected

    # -- pruning ---------------------------------------------------------------------

    def test_prune_removes_exactly_the_older_records(self, open_store: Callable[[], Any]) -> None:
        store = open_store()
        records = _records_around(PRUNE_BEFORE)
        store.write_many(records)
        kept = [r for r in records if r.timestamp >= PRUNE_BEFORE]
        assert store.prune(PRUNE_BEFORE) == len(records) - len(kept)
        _assert_holds_exactly(store, kept)
        _assert_holds_exactly(open_store(), kept)  # a second connection agrees

    def test_pruning_twice_or_earlier_is_a_no_op(self, store: Any) -> None:
        records = _records_around(PRUNE_BEFORE)
        store.write_many(records)
        assert store.prune(PRUNE_BEFORE) > 0
        assert store.prune(PRUNE_BEFORE) == 0
        assert store.prune(PRUNE_BEFORE - timedelta(days=3)) == 0
        _assert_holds_exactly(store, [r for r in records if r.timestamp >= PRUNE_BEFORE])

    def test_prune_never_touches_newer_records(self, store: Any) -> None:
        records = _records_around(PRUNE_BEFORE)
        store.write_many(records)
        oldest = min(r.timestamp for r in records)
        assert store.prune(oldest) == 0  # the bound is exclusive: a record at `before` stays
        _assert_holds_exactly(store, records)
        assert store.prune(oldest + timedelta(microseconds=1)) == 1
        _assert_holds_exactly(store, [r for r in records if r.timestamp > oldest])

    def test_prune_of_an_empty_store_and_of_everything(self, store: Any) -> None:
        assert store.prune(NOW) == 0
        records = _records_around(PRUNE_BEFORE)
        store.write_many(records)
        assert store.prune(NOW + timedelta(days=1)) == len(records)
        _assert_holds_exactly(store, [])

    def test_pruned_records_can_be_written_again(self, store: Any) -> None:
        records = _records_around(PRUNE_BEFORE)
        store.write_many(records)
        old = [r for r in records if r.timestamp < PRUNE_BEFORE]
        store.prune(PRUNE_BEFORE)
        assert store.write_many(old) == len(old)  # as if they had never been written
        _assert_holds_exactly(store, records)

    # -- lifecycle -------------------------------------------------------------------

    def test_reset_deletes_records_and_aggregates(self, store: Any) -> None:
        store.write_many(make_record(i) for i in range(50))
        store.reset()
        assert store.count() == 0
        assert store.stats() == []
        assert store.recent() == []
        store.write(make_record(1))
        assert store.count() == 1

    def test_data_survives_reopening_and_is_shared(self, open_store: Callable[[], Any]) -> None:
        first = open_store()
        second = open_store()
        records = [make_record(i) for i in range(40)]
        first.write_many(records)
        assert_same_groups(second.stats(), group_records(records))
        first.close()
        third = open_store()
        assert third.count() == 40
        second.reset()
        assert third.count() == 0

    def test_closed_store_refuses_work_and_close_is_idempotent(self, store: Any) -> None:
        store.close()
        store.close()
        with pytest.raises(StorageError):
            store.write(make_record(1))

    def test_threads_share_one_store(self, store: Any) -> None:
        errors: list[BaseException] = []

        def writer(offset: int) -> None:
            try:
                for i in range(100):
                    store.write(make_record(offset + i))
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=writer, args=(n * 1000,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert store.count() == 400
