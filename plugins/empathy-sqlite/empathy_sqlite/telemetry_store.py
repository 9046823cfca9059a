"""The SQLite telemetry store: one row per LLM call plus a per-day rollup kept by a trigger.

Schema (component ``telemetry`` in ``empathy_schema``):

- ``usage``: one row per :class:`~empathy_core.records.UsageRecord`; ``record_id`` is
  unique (writes are idempotent), ``ts_us`` (microseconds since the epoch, UTC) is indexed
  for ``recent`` and for the partial first day of ``stats``.
- ``usage_daily``: sums per (day, workflow, stage, tier, provider, model, batch, success),
  updated by an ``AFTER INSERT`` trigger in the same transaction as the row, so it can
  never disagree with ``usage``.

``stats(since)`` reads the rollup for every whole day after ``since`` and the raw rows of
the partial first day only: its cost depends on the number of days and groups, not on
the number of records.
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
    RECORD_COLUMNS,
    SUM_COLUMNS,
    UsageGroup,
    record_to_row,
    redact_url,
    row_to_group,
    row_to_record,
    since_bounds,
)
from empathy_sqlite.database import connect

T = TypeVar("T")

COMPONENT = "telemetry"
_KEYS = ", ".join(GROUP_KEYS)
_SUMS = ", ".join(SUM_COLUMNS)
_COLUMNS = ", ".join(RECORD_COLUMNS)

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

_CREATE_DAILY = f"""
CREATE TABLE usage_daily (
    day INTEGER NOT NULL,
    workflow TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    batch INTEGER NOT NULL,
    success INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    cache_hits INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_write_5m_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cost_nano INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    PRIMARY KEY (day, {_KEYS})
) WITHOUT ROWID"""

_ROLLUP_UPDATE = ", ".join(
    ["calls = calls + excluded.calls", "cache_hits = cache_hits + excluded.cache_hits"]
    + [f"{c} = {c} + excluded.{c}" for c in SUM_COLUMNS]
)

_CREATE_TRIGGER = f"""
CREATE TRIGGER usage_daily_on_insert AFTER INSERT ON usage BEGIN
    INSERT INTO usage_daily (day, {_KEYS}, calls, cache_hits, {_SUMS})
    VALUES (NEW.ts_us / {DAY_US}, {", ".join(f"NEW.{k}" for k in GROUP_KEYS)}, 1,
            NEW.cache_read_tokens > 0, {", ".join(f"NEW.{c}" for c in SUM_COLUMNS)})
    ON CONFLICT (day, {_KEYS}) DO UPDATE SET {_ROLLUP_UPDATE};
END"""

_RAW_SUMS = ", ".join(["COUNT(*)", "SUM(cache_read_tokens > 0)"] + [f"SUM({c})" for c in SUM_COLUMNS])
_ROLLUP_SUMS = ", ".join(["SUM(calls)", "SUM(cache_hits)"] + [f"SUM({c})" for c in SUM_COLUMNS])

_BACKFILL = f"""
INSERT INTO usage_daily (day, {_KEYS}, calls, cache_hits, {_SUMS})
SELECT ts_us / {DAY_US}, {_KEYS}, {_RAW_SUMS} FROM usage GROUP BY ts_us / {DAY_US}, {_KEYS}"""

MIGRATIONS = (
    # 1: one row per call, indexed by time.
    (_CREATE_USAGE, "CREATE INDEX usage_ts ON usage (ts_us)"),
    # 2: per-day rollup maintained on write, so stats never scan the raw rows.
    (_CREATE_DAILY, _CREATE_TRIGGER, _BACKFILL),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = (
    f"INSERT INTO usage ({_COLUMNS}) VALUES ({', '.join('?' for _ in RECORD_COLUMNS)}) "
    "ON CONFLICT (record_id) DO NOTHING"
)
_STATS_ALL = f"SELECT {_KEYS}, {_ROLLUP_SUMS} FROM usage_daily GROUP BY {_KEYS}"
_STATS_SINCE = f"""
SELECT {_KEYS}, {_ROLLUP_SUMS} FROM (
    SELECT {_KEYS}, calls, cache_hits, {_SUMS} FROM usage_daily WHERE day >= :first_day
    UNION ALL
    SELECT {_KEYS}, {_RAW_SUMS} FROM usage
    WHERE ts_us >= :since_us AND ts_us < :first_day * {DAY_US}
    GROUP BY {_KEYS}
) GROUP BY {_KEYS}"""
_PAGE = 1000


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
        rows = [record_to_row(r) for r in records]
        if not rows:
            return 0
        return self._run(lambda conn: conn.executemany(_INSERT, rows).rowcount, write=True)

    def stats(self, since: datetime | None = None) -> list[UsageGroup]:
        """Per-group sums since ``since``: rollup for whole days, raw rows for the first."""
        since_us, first_day = since_bounds(since)
        if since_us is None:
            rows = self._run(lambda conn: conn.execute(_STATS_ALL).fetchall())
        else:
            params = {"since_us": since_us, "first_day": first_day}
            rows = self._run(lambda conn: conn.execute(_STATS_SINCE, params).fetchall())
        return [row_to_group(row) for row in rows]

    def recent(self, limit: int = 100, since: datetime | None = None) -> list[UsageRecord]:
        """The ``limit`` newest records since ``since``, newest first."""
        since_us, _ = since_bounds(since)
        sql = f"SELECT {_COLUMNS} FROM usage WHERE ts_us >= ? ORDER BY ts_us DESC, id DESC LIMIT ?"
        params = (since_us if since_us is not None else -(2**62), max(0, limit))
        rows = self._run(lambda conn: conn.execute(sql, params).fetchall())
        return [row_to_record(row) for row in rows]

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        """Every record since ``since``, oldest first, read in pages of 1,000 rows.

        The lock is released between pages (keyset pagination on ``(ts_us, id)``), so a
        long export never blocks writers of the same process.
        """
        since_us, _ = since_bounds(since)
        sql = f"SELECT id, {_COLUMNS} FROM usage WHERE (ts_us, id) > (?, ?) ORDER BY ts_us, id LIMIT {_PAGE}"
        last = (-(2**62), -1) if since_us is None else (since_us - 1, 2**62)
        while True:
            page = self._run(lambda conn, key=last: conn.execute(sql, key).fetchall())
            yield from (row_to_record(row[1:]) for row in page)
            if len(page) < _PAGE:
                return
            last = (page[-1][2], page[-1][0])

    def count(self) -> int:
        """Number of stored records."""
        return self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0])

    def reset(self) -> None:
        """Delete every record and its rollup in one transaction."""

        def clear(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM usage")
            conn.execute("DELETE FROM usage_daily")

        self._run(clear, write=True)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
