"""The SQLite telemetry store: one row per LLM call plus hourly and daily rollups.

Schema (component ``telemetry`` in ``empathy_schema``):

- ``usage``: one row per :class:`~empathy_core.records.UsageRecord`; ``record_id`` is
  unique (writes are idempotent), ``ts_us`` (microseconds since the epoch, UTC) is indexed
  for ``recent`` and for the first, partial hour of ``stats``; ``group_id`` points to
  ``usage_groups``.
- ``usage_groups``: one row per distinct (workflow, stage, tier, provider, model, batch,
  success); ids never change, so writers may cache them.
- ``usage_daily`` / ``usage_hourly``: sums per (day or hour, group), updated by an
  ``AFTER INSERT`` trigger in the same transaction as the row, so they can never
  disagree with ``usage``.

``stats(since)`` adds the daily rollup of whole days after ``since``, the hourly rollup
of the whole hours before them, and the raw rows of the partial first hour
(:class:`~empathy_core.stores.SinceBounds`), grouping by integer group id: its cost
depends on the number of days and groups, not on the number of records.

``prune(before)`` deletes old rows and keeps the rollups exact by recomputing the one hour
and the one day that straddle the cutoff from the rows left in them.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import TypeVar

from empathy_core.errors import StorageError
from empathy_core.records import UsageRecord
from empathy_core.stores import (
    DAY_US,
    GROUP_KEYS,
    HOUR_US,
    RECORD_COLUMNS,
    SUM_COLUMNS,
    SinceBounds,
    UsageGroup,
    group_key,
    record_to_row,
    redact_url,
    row_to_group,
    row_to_record,
    to_us,
)
from empathy_sqlite.database import connect

T = TypeVar("T")

COMPONENT = "telemetry"
_KEYS = ", ".join(GROUP_KEYS)
_SUMS = ", ".join(SUM_COLUMNS)
_COLUMNS = ", ".join(RECORD_COLUMNS)
_COUNTS = ("calls", "cache_hits", *SUM_COLUMNS)

_CREATE_USAGE = """
CREATE TABLE usage (
    id INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    ts_us INTEGER NOT NULL,
    workflow TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_write_5m_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_nano INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    success INTEGER NOT NULL,
    error TEXT,
    batch INTEGER NOT NULL,
    request_id TEXT,
    run_id TEXT,
    user_id TEXT,
    prompt TEXT
)"""

_CREATE_GROUPS = f"""
CREATE TABLE usage_groups (
    id INTEGER PRIMARY KEY,
    workflow TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    batch INTEGER NOT NULL,
    success INTEGER NOT NULL,
    UNIQUE ({_KEYS})
)"""


def _create_rollup(table: str, bucket: str) -> str:
    sums = ",\n    ".join(f"{c} {'REAL' if c == 'duration_ms' else 'INTEGER'} NOT NULL" for c in _COUNTS)
    return f"""
CREATE TABLE {table} (
    {bucket} INTEGER NOT NULL,
    group_id INTEGER NOT NULL,
    {sums},
    PRIMARY KEY ({bucket}, group_id)
) WITHOUT ROWID"""


def _rollup_upsert(table: str, bucket: str, bucket_us: int) -> str:
    updates = ", ".join(f"{c} = {c} + excluded.{c}" for c in _COUNTS)
    values = ", ".join(f"NEW.{c}" for c in SUM_COLUMNS)
    return f"""
    INSERT INTO {table} ({bucket}, group_id, {", ".join(_COUNTS)})
    VALUES (NEW.ts_us / {bucket_us}, NEW.group_id, 1, NEW.cache_read_tokens > 0, {values})
    ON CONFLICT ({bucket}, group_id) DO UPDATE SET {updates};"""


_CREATE_TRIGGER = f"""
CREATE TRIGGER usage_rollup_on_insert AFTER INSERT ON usage BEGIN
{_rollup_upsert("usage_daily", "day", DAY_US)}
{_rollup_upsert("usage_hourly", "hour", HOUR_US)}
END"""

_RAW_SUMS = ", ".join(
    ["COUNT(*) AS calls", "SUM(cache_read_tokens > 0) AS cache_hits"]
    + [f"SUM({c}) AS {c}" for c in SUM_COLUMNS]
)
_ROLLUP_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in _COUNTS)


def _backfill(table: str, bucket_us: int, where: str = "") -> str:
    return f"""
INSERT INTO {table} SELECT ts_us / {bucket_us}, group_id, {_RAW_SUMS} FROM usage {where}
GROUP BY ts_us / {bucket_us}, group_id"""


def _prune_rollup(table: str, bucket: str, bucket_us: int) -> tuple[str, str]:
    """Drop the rollup rows of buckets up to ``:bucket`` (the one holding the cutoff),
    then rebuild that straddling bucket from the raw rows left in it."""
    where = f"WHERE ts_us >= :bucket * {bucket_us} AND ts_us < (:bucket + 1) * {bucket_us}"
    return f"DELETE FROM {table} WHERE {bucket} <= :bucket", _backfill(table, bucket_us, where)


MIGRATIONS = (
    # 1: one row per call, indexed by time.
    (_CREATE_USAGE, "CREATE INDEX usage_ts ON usage (ts_us)"),
    # 2: groups and hourly/daily rollups maintained on write: stats never scan the rows.
    (
        _CREATE_GROUPS,
        f"INSERT INTO usage_groups ({_KEYS}) SELECT DISTINCT {_KEYS} FROM usage",
        "ALTER TABLE usage ADD COLUMN group_id INTEGER NOT NULL DEFAULT 0",
        "UPDATE usage SET group_id = (SELECT g.id FROM usage_groups g WHERE "
        + " AND ".join(f"g.{k} = usage.{k}" for k in GROUP_KEYS)
        + ")",
        _create_rollup("usage_daily", "day"),
        _create_rollup("usage_hourly", "hour"),
        _backfill("usage_daily", DAY_US),
        _backfill("usage_hourly", HOUR_US),
        _CREATE_TRIGGER,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = (
    f"INSERT INTO usage ({_COLUMNS}, group_id) VALUES ({', '.join('?' for _ in RECORD_COLUMNS)}, ?) "
    "ON CONFLICT (record_id) DO NOTHING"
)
_GROUP_INSERT = (
    f"INSERT INTO usage_groups ({_KEYS}) VALUES ({', '.join('?' for _ in GROUP_KEYS)}) ON CONFLICT DO NOTHING"
)
_GROUP_ID = "SELECT id FROM usage_groups WHERE " + " AND ".join(f"{k} = ?" for k in GROUP_KEYS)
_GROUP_SUMS = ", ".join(f"g.{k}" for k in GROUP_KEYS) + f", {_ROLLUP_SUMS}"
_STATS_ALL = f"""
SELECT {_GROUP_SUMS} FROM usage_daily AS parts JOIN usage_groups AS g ON g.id = parts.group_id
GROUP BY parts.group_id"""
_STATS_SINCE = f"""
SELECT {_GROUP_SUMS} FROM (
    SELECT group_id, {_ROLLUP_SUMS} FROM usage_daily WHERE day >= :first_day GROUP BY group_id
    UNION ALL
    SELECT group_id, {_ROLLUP_SUMS} FROM usage_hourly
    WHERE hour >= :first_hour AND hour < :first_day * 24 GROUP BY group_id
    UNION ALL
    SELECT group_id, {_RAW_SUMS} FROM usage
    WHERE ts_us >= :since_us AND ts_us < :first_hour * {HOUR_US} GROUP BY group_id
) AS parts JOIN usage_groups AS g ON g.id = parts.group_id
GROUP BY parts.group_id"""
_PRUNE_ROLLUPS = (
    (HOUR_US, _prune_rollup("usage_hourly", "hour", HOUR_US)),
    (DAY_US, _prune_rollup("usage_daily", "day", DAY_US)),
)
_PAGE = 1000
_EARLIEST = -(2**62)


class SQLiteTelemetryStore:
    """A :class:`~empathy_core.stores.TelemetryStore` in one SQLite file (WAL mode).

    Safe for several threads (one connection behind a lock) and several processes
    (SQLite's write lock with a 60 s busy timeout). Every write is one ``BEGIN IMMEDIATE``
    transaction, so a killed writer leaves whole batches or nothing.
    """

    schema_version = SCHEMA_VERSION

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        self._lock = threading.RLock()
        self._groups: dict[tuple[object, ...], int] = {}
        self._conn: sqlite3.Connection | None = connect(url, COMPONENT, MIGRATIONS)

    def __repr__(self) -> str:
        return f"SQLiteTelemetryStore({self.url!r})"

    # -- plumbing ----------------------------------------------------------------------

    def _run(self, action: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run ``action`` under the lock (in a write transaction if ``write``)."""
        with self._lock:
            if self._conn is None:
                raise StorageError(f"telemetry store {self.url} is closed")
            conn = self._conn
            try:
                if not write:
                    return action(conn)
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = action(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
                return result
            except sqlite3.Error as exc:
                raise StorageError(f"telemetry store {self.url}: {exc}") from None

    # -- TelemetryStore ----------------------------------------------------------------

    def write(self, record: UsageRecord) -> None:
        """Store one record (ignored if its ``record_id`` is already stored)."""
        self.write_many((record,))

    def write_many(self, records: Iterable[UsageRecord]) -> int:
        """Store ``records`` in one transaction; returns how many were new."""
        records = list(records)
        if not records:
            return 0

        learned: dict[tuple[object, ...], int] = {}

        def insert(conn: sqlite3.Connection) -> int:
            rows = [(*record_to_row(r), self._group_id(conn, group_key(r), learned)) for r in records]
            return conn.executemany(_INSERT, rows).rowcount

        written = self._run(insert, write=True)
        self._groups.update(learned)  # only ids whose creation was committed
        return written

    def _group_id(
        self, conn: sqlite3.Connection, key: tuple[object, ...], learned: dict[tuple[object, ...], int]
    ) -> int:
        """The id of ``key`` in ``usage_groups``, created if new (ids never change)."""
        found = self._groups.get(key) or learned.get(key)
        if found is None:
            conn.execute(_GROUP_INSERT, key)
            found = learned[key] = conn.execute(_GROUP_ID, key).fetchone()[0]
        return found

    def stats(self, since: datetime | None = None) -> list[UsageGroup]:
        """Per-group sums since ``since`` from the rollups (and at most an hour of rows)."""
        if since is None:
            rows = self._run(lambda conn: conn.execute(_STATS_ALL).fetchall())
        else:
            params = SinceBounds.of(since).params()
            rows = self._run(lambda conn: conn.execute(_STATS_SINCE, params).fetchall())
        return [row_to_group(row) for row in rows]

    def recent(self, limit: int = 100, since: datetime | None = None) -> list[UsageRecord]:
        """The ``limit`` newest records since ``since``, newest first."""
        sql = f"SELECT {_COLUMNS} FROM usage WHERE ts_us >= ? ORDER BY ts_us DESC, id DESC LIMIT ?"
        params = (_EARLIEST if since is None else to_us(since), max(0, limit))
        rows = self._run(lambda conn: conn.execute(sql, params).fetchall())
        return [row_to_record(row) for row in rows]

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        """Every record since ``since``, oldest first, read in pages of 1,000 rows.

        The lock is released between pages (keyset pagination on ``(ts_us, id)``), so a
        long export never blocks writers of the same process.
        """
        sql = f"SELECT id, {_COLUMNS} FROM usage WHERE (ts_us, id) > (?, ?) ORDER BY ts_us, id LIMIT {_PAGE}"
        last = (_EARLIEST, -1) if since is None else (to_us(since) - 1, -_EARLIEST)
        while True:
            page = self._run(lambda conn, key=last: conn.execute(sql, key).fetchall())
            yield from (row_to_record(row[1:]) for row in page)
            if len(page) < _PAGE:
                return
            last = (page[-1][2], page[-1][0])

    def count(self) -> int:
        """Number of stored records."""
        return self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0])

    def prune(self, before: datetime) -> int:
        """Delete the records older than ``before`` in one transaction; returns their number.

        Rollups stay exact: the hourly and daily buckets wholly before the cutoff are
        dropped, and the hour and the day straddling it are recomputed from the rows
        left in them, so ``stats`` for any ``since`` equals the plain sum of the kept
        records. Costs one indexed ``DELETE`` when nothing is old enough, else at most a
        day of rows re-aggregated.
        """
        before_us = to_us(before)

        def delete(conn: sqlite3.Connection) -> int:
            removed = conn.execute("DELETE FROM usage WHERE ts_us < ?", (before_us,)).rowcount
            if removed:
                for bucket_us, statements in _PRUNE_ROLLUPS:
                    for statement in statements:
                        conn.execute(statement, {"bucket": before_us // bucket_us})
            return removed

        return self._run(delete, write=True)

    def reset(self) -> None:
        """Delete every record and its rollups in one transaction."""

        def clear(conn: sqlite3.Connection) -> None:
            for table in ("usage", "usage_daily", "usage_hourly"):
                conn.execute(f"DELETE FROM {table}")  # groups stay: other writers cache their ids

        self._run(clear, write=True)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
