"""Records as rows: the column lists, the mapping both ways, time buckets.

The mapping is checked on its own and through a real SQLite database built from the
shared schema, so that what a store writes is what it reads back.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import attrs
import pytest

from empathy_core import NANO, Usage, UsageGroup, UsageRecord, group_records
from empathy_sql import schema
from empathy_sql.rows import (
    DAY_US,
    GROUP_KEYS,
    HOUR_US,
    RECORD_COLUMNS,
    SUM_COLUMNS,
    SinceBounds,
    from_us,
    group_key,
    record_to_row,
    row_to_group,
    row_to_record,
    to_us,
)

NOW = datetime(2026, 11, 20, 15, 30, 12, 345678, tzinfo=UTC)

# The ``usage`` table as telemetry schema version 2 created it on disk. Migration 1 builds
# the table from RECORD_COLUMNS, so a new UsageRecord field changes what a fresh store
# creates but not what an existing one holds: it needs a migration adding the column,
# and then this list.
ON_DISK_V2 = (
    "record_id",
    "ts_us",
    "workflow",
    "stage",
    "tier",
    "provider",
    "model",
    "input_tokens",
    "output_tokens",
    "cache_write_5m_tokens",
    "cache_write_1h_tokens",
    "cache_read_tokens",
    "cost_nano",
    "duration_ms",
    "success",
    "error",
    "batch",
    "request_id",
    "run_id",
    "user_id",
    "prompt",
)

SQLITE = schema.Dialect(
    param="?",
    named=":{}",
    integer="INTEGER",
    flag="INTEGER",
    real="REAL",
    row_id="INTEGER PRIMARY KEY",
    as_int="{}",
)


def record(index: int, **overrides: object) -> UsageRecord:
    """A varied record: failures, batches, cache traffic, optional fields set or not."""
    success = index % 4 != 3
    fields: dict[str, object] = {
        "workflow": ("code-review", "doc-gen")[index % 2],
        "stage": ("scan", "analyse", "summarise")[index % 3],
        "tier": ("cheap", "capable", "premium")[index % 3],
        "provider": "anthropic",
        "model": ("claude-haiku-4-5", "claude-sonnet-4-6")[index % 2],
        "usage": Usage(100 + index, 7 * index, 200 * (index % 2), 300 * (index % 3 == 0), 50 * index)
        if success
        else Usage(),
        "cost": round(0.000987 * (index + 1), 9) if success else 0.0,
        "duration_ms": 12.5 + index,
        "success": success,
        "error": None if success else "ProviderError: overloaded",
        "batch": index % 5 == 0,
        "request_id": f"req_{index}" if index % 2 else None,
        "run_id": f"run{index // 3}" if index % 3 else None,
        "user_id": f"sha256:{index}" if index % 4 else None,
        "prompt": "résumé ✓ 'quoted' \"text\"\nline two" if index % 6 == 1 else None,
        "timestamp": NOW - timedelta(minutes=41 * index, microseconds=index),
        "record_id": f"rec-{index:04d}",
    }
    fields.update(overrides)
    return UsageRecord(**fields)  # type: ignore[arg-type]


RECORDS = [record(i) for i in range(40)]


# -- column lists ----------------------------------------------------------------------


def test_record_columns_are_the_usage_table_on_disk() -> None:
    assert RECORD_COLUMNS == ON_DISK_V2


def test_every_field_of_a_record_has_exactly_one_column() -> None:
    renamed = {"usage": [f.name for f in attrs.fields(Usage)], "cost": ["cost_nano"], "timestamp": ["ts_us"]}
    expected = [c for f in attrs.fields(UsageRecord) for c in renamed.get(f.name, [f.name])]
    assert sorted(RECORD_COLUMNS) == sorted(expected)
    assert len(set(RECORD_COLUMNS)) == len(RECORD_COLUMNS)
    assert RECORD_COLUMNS[:2] == ("record_id", "ts_us")


def test_sum_columns_are_the_usage_tokens_cost_and_duration() -> None:
    usage_fields = tuple(f.name for f in attrs.fields(Usage))
    assert (*usage_fields, "cost_nano", "duration_ms") == SUM_COLUMNS
    assert set(SUM_COLUMNS) <= set(RECORD_COLUMNS)


def test_group_keys_are_the_key_fields_of_a_usage_group() -> None:
    group_fields = [f.name for f in attrs.fields(UsageGroup)]
    assert list(GROUP_KEYS) == group_fields[: len(GROUP_KEYS)]
    assert group_fields[len(GROUP_KEYS) :] == ["calls", "cache_hits", *SUM_COLUMNS]
    assert set(GROUP_KEYS) <= set(RECORD_COLUMNS)


def test_the_schema_follows_the_column_lists() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(schema.create_usage(SQLITE))
    conn.execute(schema.create_groups(SQLITE))
    usage = [row[1] for row in conn.execute("PRAGMA table_info(usage)")]
    groups = [row[1] for row in conn.execute("PRAGMA table_info(usage_groups)")]
    assert usage == ["id", *RECORD_COLUMNS]
    assert groups == ["id", *GROUP_KEYS]
    nullable = {row[1] for row in conn.execute("PRAGMA table_info(usage)") if not row[3]}
    assert nullable == {"id", "error", "request_id", "run_id", "user_id", "prompt"}
    assert schema.insert_usage(SQLITE).count("?") == len(RECORD_COLUMNS) + 1


# -- the mapping -----------------------------------------------------------------------


@pytest.mark.parametrize("rec", RECORDS, ids=[r.record_id for r in RECORDS])
def test_a_record_survives_the_round_trip(rec: UsageRecord) -> None:
    row = record_to_row(rec)
    assert len(row) == len(RECORD_COLUMNS)
    back = row_to_record(row)
    assert back == rec
    assert back.timestamp.tzinfo is not None


def test_row_values_are_plain_column_types() -> None:
    rec = record(5, duration_ms=7, success=True, batch=True)
    values = dict(zip(RECORD_COLUMNS, record_to_row(rec), strict=True))
    assert values["ts_us"] == to_us(rec.timestamp) and type(values["ts_us"]) is int
    assert values["cost_nano"] == round(rec.cost * NANO) and type(values["cost_nano"]) is int
    assert type(values["duration_ms"]) is float and values["duration_ms"] == 7.0
    assert (type(values["success"]), values["success"]) == (int, 1)
    assert (type(values["batch"]), values["batch"]) == (int, 1)
    failed = dict(zip(RECORD_COLUMNS, record_to_row(record(3)), strict=True))
    assert (failed["success"], failed["batch"], failed["error"]) == (0, 0, "ProviderError: overloaded")
    for name in attrs.fields_dict(Usage):
        assert values[name] == getattr(rec.usage, name)


def test_costs_are_kept_to_the_nano_dollar() -> None:
    rec = record(1, cost=0.1234567894)
    assert row_to_record(record_to_row(rec)).cost == 0.123456789
    big = record(1, cost=12345.678901234)
    assert row_to_record(record_to_row(big)).cost == 12345.678901234


def test_a_naive_timestamp_is_utc_and_other_zones_keep_their_instant() -> None:
    naive = record(2, timestamp=NOW.replace(tzinfo=None))
    assert record_to_row(naive) == record_to_row(record(2, timestamp=NOW))
    paris = NOW.astimezone(timezone(timedelta(hours=1)))
    back = row_to_record(record_to_row(record(2, timestamp=paris)))
    assert back.timestamp == NOW and back.timestamp.utcoffset() == timedelta(0)


def test_group_key_is_the_rows_group_columns() -> None:
    for rec in RECORDS:
        values = dict(zip(RECORD_COLUMNS, record_to_row(rec), strict=True))
        assert group_key(rec) == tuple(values[k] for k in GROUP_KEYS)


def test_row_to_group_reads_a_group_row() -> None:
    row = ("w", "s", "cheap", "anthropic", "m", 1, 0, 3, 2, 10, 20, 30, 40, 50, 123_456_789, 9.5)
    group = row_to_group(row)
    assert group == UsageGroup(
        "w", "s", "cheap", "anthropic", "m", True, False, 3, 2, 10, 20, 30, 40, 50, 123_456_789, 9.5
    )
    assert group.cost == 0.123456789 and type(group.duration_ms) is float


# -- through a database ----------------------------------------------------------------


def test_rows_written_to_the_schema_read_back_as_the_same_records_and_groups() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute(schema.create_usage(SQLITE))
    conn.executemany(
        f"INSERT INTO usage ({schema.COLUMNS}) VALUES ({SQLITE.params(len(RECORD_COLUMNS))})",
        [record_to_row(r) for r in RECORDS],
    )
    rows = conn.execute(f"SELECT {schema.COLUMNS} FROM usage ORDER BY id").fetchall()
    assert [row_to_record(row) for row in rows] == RECORDS
    sums = ", ".join(["COUNT(*)", "SUM(cache_read_tokens > 0)", *(f"SUM({c})" for c in SUM_COLUMNS)])
    grouped = conn.execute(f"SELECT {schema.KEYS}, {sums} FROM usage GROUP BY {schema.KEYS}").fetchall()
    key = repr
    assert sorted((row_to_group(row) for row in grouped), key=key) == sorted(group_records(RECORDS), key=key)


# -- time ------------------------------------------------------------------------------


def test_microseconds_since_the_epoch_both_ways() -> None:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert to_us(epoch) == 0
    assert to_us(epoch + timedelta(microseconds=1)) == 1
    assert to_us(epoch - timedelta(microseconds=1)) == -1
    assert to_us(NOW) == ((NOW - epoch).days * 86_400 + (NOW - epoch).seconds) * 10**6 + NOW.microsecond
    for moment in (NOW, epoch - timedelta(days=400, microseconds=3), datetime(9999, 12, 31, tzinfo=UTC)):
        assert from_us(to_us(moment)) == moment
    assert from_us(HOUR_US) == epoch + timedelta(hours=1)
    assert from_us(DAY_US) == epoch + timedelta(days=1) and DAY_US == 24 * HOUR_US


@pytest.mark.parametrize(
    "since",
    [
        NOW,
        from_us(to_us(NOW) // HOUR_US * HOUR_US),  # on the hour
        from_us(to_us(NOW) // DAY_US * DAY_US),  # at midnight
        from_us(to_us(NOW) // HOUR_US * HOUR_US + 1),  # one microsecond after
        from_us(to_us(NOW) // DAY_US * DAY_US - 1),  # one microsecond before midnight
        NOW - timedelta(days=3, minutes=7),
    ],
)
def test_since_bounds_count_every_moment_since_exactly_once(since: datetime) -> None:
    bounds = SinceBounds.of(since)
    assert bounds.params() == {
        "since_us": bounds.since_us,
        "first_hour": bounds.first_hour,
        "first_day": bounds.first_day,
    }
    start = to_us(since)
    moments = [start + d for d in (-DAY_US, -HOUR_US, -1, 0, 1, HOUR_US - 1, HOUR_US, DAY_US, 3 * DAY_US + 5)]
    moments += range(start - 2 * DAY_US, start + 3 * DAY_US, 997 * 1_000_003)
    for ts in moments:
        raw = bounds.since_us <= ts < bounds.first_hour * HOUR_US
        hourly = bounds.first_hour <= ts // HOUR_US < bounds.first_day * 24
        daily = ts // DAY_US >= bounds.first_day
        assert raw + hourly + daily == (1 if ts >= start else 0), ts
