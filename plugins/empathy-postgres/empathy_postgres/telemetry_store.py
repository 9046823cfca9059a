"""The PostgreSQL telemetry store: the SQLite store's schema and queries, in PostgreSQL.

Tables ``usage`` (one row per call, ``record_id`` unique, ``ts_us`` indexed) and
``usage_daily`` (sums per day and group, kept by an ``AFTER INSERT`` trigger in the same
transaction) live in the URL's schema (``?schema=``, default ``empathy``). ``stats``
reads the rollup for whole days and the raw rows of the partial first day.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any, TypeVar

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
from empathy_postgres.database import connect

T = TypeVar("T")

COMPONENT = "telemetry"
_KEYS = ", ".join(GROUP_KEYS)
_SUMS = ", ".join(SUM_COLUMNS)
_COLUMNS = ", ".join(RECORD_COLUMNS)

_CREATE_USAGE = """
CREATE TABLE usage (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    ts_us BIGINT NOT NULL,
    workflow TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cost_nano BIGINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    success SMALLINT NOT NULL,
    error TEXT,
    batch SMALLINT NOT NULL,
    request_id TEXT,
    run_id TEXT,
    user_id TEXT,
    prompt TEXT
)"""

_CREATE_DAILY = f"""
CREATE TABLE usage_daily (
    day BIGINT NOT NULL,
    workflow TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    batch SMALLINT NOT NULL,
    success SMALLINT NOT NULL,
    calls BIGINT NOT NULL,
    cache_hits BIGINT NOT NULL,
    input_tokens BIGINT NOT NULL,
    output_tokens BIGINT NOT NULL,
    cache_write_5m_tokens BIGINT NOT NULL,
    cache_write_1h_tokens BIGINT NOT NULL,
    cache_read_tokens BIGINT NOT NULL,
    cost_nano BIGINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, {_KEYS})
)"""

_ROLLUP_UPDATE = ", ".join(
    [
        "calls = usage_daily.calls + excluded.calls",
        "cache_hits = usage_daily.cache_hits + excluded.cache_hits",
    ]
    + [f"{c} = usage_daily.{c} + excluded.{c}" for c in SUM_COLUMNS]
)

_CREATE_FUNCTION = f"""
CREATE FUNCTION usage_daily_on_insert() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    INSERT INTO usage_daily (day, {_KEYS}, calls, cache_hits, {_SUMS})
    VALUES (NEW.ts_us / {DAY_US}, {", ".join(f"NEW.{k}" for k in GROUP_KEYS)}, 1,
            (NEW.cache_read_tokens > 0)::int, {", ".join(f"NEW.{c}" for c in SUM_COLUMNS)})
    ON CONFLICT (day, {_KEYS}) DO UPDATE SET {_ROLLUP_UPDATE};
    RETURN NULL;
END
$$"""

_CREATE_TRIGGER = (
    "CREATE TRIGGER usage_daily_on_insert AFTER INSERT ON usage "
    "FOR EACH ROW EXECUTE FUNCTION usage_daily_on_insert()"
)

_RAW_SUMS = ", ".join(["COUNT(*)", "SUM((cache_read_tokens > 0)::int)"] + [f"SUM({c})" for c in SUM_COLUMNS])
_ROLLUP_SUMS = ", ".join(["SUM(calls)", "SUM(cache_hits)"] + [f"SUM({c})" for c in SUM_COLUMNS])

_BACKFILL = f"""
INSERT INTO usage_daily (day, {_KEYS}, calls, cache_hits, {_SUMS})
SELECT ts_us / {DAY_US}, {_KEYS}, {_RAW_SUMS} FROM usage GROUP BY ts_us / {DAY_US}, {_KEYS}"""

MIGRATIONS = (
    # 1: one row per call, indexed by time.
    (_CREATE_USAGE, "CREATE INDEX usage_ts ON usage (ts_us)"),
    # 2: per-day rollup maintained on write, so stats never scan the raw rows.
    (_CREATE_DAILY, _CREATE_FUNCTION, _CREATE_TRIGGER, _BACKFILL),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = (
    f"INSERT INTO usage ({_COLUMNS}) VALUES ({', '.join('%s' for _ in RECORD_COLUMNS)}) "
    "ON CONFLICT (record_id) DO NOTHING"
)
_STATS_ALL = f"SELECT {_KEYS}, {_ROLLUP_SUMS} FROM usage_daily GROUP BY {_KEYS}"
_STATS_SINCE = f"""
SELECT {_KEYS}, {_ROLLUP_SUMS} FROM (
    SELECT {_KEYS}, calls, cache_hits, {_SUMS} FROM usage_daily WHERE day >= %(first_day)s
    UNION ALL
    SELECT {_KEYS}, {_RAW_SUMS} FROM usage
    WHERE ts_us >= %(since_us)s AND ts_us < %(first_day)s * {DAY_US}
    GROUP BY {_KEYS}
) AS parts GROUP BY {_KEYS}"""
_PAGE = 1000


class PostgresTelemetryStore:
    """A :class:`~empathy_core.stores.TelemetryStore` in a PostgreSQL schema.

    One connection per store behind a lock (thread-safe); many processes and machines
    may write at once. Each write is one transaction.
    """

    schema_version = SCHEMA_VERSION

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        self._lock = threading.RLock()
        self._conn: Any = None
        self._conn, self.schema = connect(url, COMPONENT, MIGRATIONS)

    def __repr__(self) -> str:
        return f"PostgresTelemetryStore({self.url!r})"

    def _run(self, action: Callable[[Any], T]) -> T:
        """Run ``action(connection)`` in one transaction under the lock."""
        import psycopg

        with self._lock:
            if self._conn is None:
                raise StorageError(f"telemetry store {self.url} is closed")
            try:
                with self._conn.transaction():
                    return action(self._conn)
            except psycopg.Error as exc:
                raise StorageError(f"telemetry store {self.url}: {' '.join(str(exc).split())}") from None

    def write(self, record: UsageRecord) -> None:
        """Store one record (ignored if its ``record_id`` is already stored)."""
        self.write_many((record,))

    def write_many(self, records: Iterable[UsageRecord]) -> int:
        """Store ``records`` in one transaction; returns how many were new."""
        rows = [record_to_row(r) for r in records]
        if not rows:
            return 0

        def insert(conn: Any) -> int:
            with conn.cursor() as cursor:
                cursor.executemany(_INSERT, rows)
                return cursor.rowcount

        return self._run(insert)

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
        sql = f"SELECT {_COLUMNS} FROM usage WHERE ts_us >= %s ORDER BY ts_us DESC, id DESC LIMIT %s"
        params = (since_us if since_us is not None else -(2**62), max(0, limit))
        return [row_to_record(row) for row in self._run(lambda conn: conn.execute(sql, params).fetchall())]

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        """Every record since ``since``, oldest first, in pages of 1,000 rows (keyset)."""
        since_us, _ = since_bounds(since)
        sql = (
            f"SELECT id, {_COLUMNS} FROM usage WHERE (ts_us, id) > (%s, %s) ORDER BY ts_us, id LIMIT {_PAGE}"
        )
        last = (-(2**62), -1) if since_us is None else (since_us - 1, 2**62)
        while True:
            page = self._run(lambda conn, key=last: conn.execute(sql, key).fetchall())
            yield from (row_to_record(row[1:]) for row in page)
            if len(page) < _PAGE:
                return
            last = (page[-1][2], page[-1][0])

    def count(self) -> int:
        """Number of stored records."""
        return int(self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0]))

    def reset(self) -> None:
        """Delete every record and its rollup in one transaction."""
        self._run(lambda conn: conn.execute("TRUNCATE usage, usage_daily"))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
