"""The PostgreSQL telemetry store: the SQLite store's schema and queries, in PostgreSQL.

Tables ``usage`` (one row per call, ``record_id`` unique, ``ts_us`` indexed),
``usage_groups`` (one id per distinct group key) and ``usage_daily`` / ``usage_hourly``
(sums per bucket and group, kept by an ``AFTER INSERT`` trigger in the same transaction)
live in the URL's schema (``?schema=``, default ``empathy``). ``stats`` reads the daily
rollup for whole days, the hourly rollup for whole hours and at most an hour of rows.
``prune`` deletes old rows and recomputes the hour and the day straddling the cutoff.
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
from empathy_postgres.database import connect

T = TypeVar("T")

COMPONENT = "telemetry"
_KEYS = ", ".join(GROUP_KEYS)
_SUMS = ", ".join(SUM_COLUMNS)
_COLUMNS = ", ".join(RECORD_COLUMNS)

_COUNTS = ("calls", "cache_hits", *SUM_COLUMNS)

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

_CREATE_GROUPS = f"""
CREATE TABLE usage_groups (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workflow TEXT NOT NULL,
    stage TEXT NOT NULL,
    tier TEXT NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    batch SMALLINT NOT NULL,
    success SMALLINT NOT NULL,
    UNIQUE ({_KEYS})
)"""


def _create_rollup(table: str, bucket: str) -> str:
    sums = ",\n    ".join(
        f"{c} {'DOUBLE PRECISION' if c == 'duration_ms' else 'BIGINT'} NOT NULL" for c in _COUNTS
    )
    return f"""
CREATE TABLE {table} (
    {bucket} BIGINT NOT NULL,
    group_id BIGINT NOT NULL,
    {sums},
    PRIMARY KEY ({bucket}, group_id)
)"""


def _rollup_upsert(table: str, bucket: str, bucket_us: int) -> str:
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in _COUNTS)
    values = ", ".join(f"NEW.{c}" for c in SUM_COLUMNS)
    return f"""
    INSERT INTO {table} ({bucket}, group_id, {", ".join(_COUNTS)})
    VALUES (NEW.ts_us / {bucket_us}, NEW.group_id, 1, (NEW.cache_read_tokens > 0)::int, {values})
    ON CONFLICT ({bucket}, group_id) DO UPDATE SET {updates};"""


_CREATE_FUNCTION = f"""
CREATE FUNCTION usage_rollup_on_insert() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
{_rollup_upsert("usage_daily", "day", DAY_US)}
{_rollup_upsert("usage_hourly", "hour", HOUR_US)}
    RETURN NULL;
END
$$"""

_CREATE_TRIGGER = (
    "CREATE TRIGGER usage_rollup_on_insert AFTER INSERT ON usage "
    "FOR EACH ROW EXECUTE FUNCTION usage_rollup_on_insert()"
)

_RAW_SUMS = ", ".join(
    ["COUNT(*) AS calls", "SUM((cache_read_tokens > 0)::int) AS cache_hits"]
    + [f"SUM({c}) AS {c}" for c in SUM_COLUMNS]
)
_ROLLUP_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in _COUNTS)


def _backfill(table: str, bucket_us: int, where: str = "") -> str:
    return f"""
INSERT INTO {table} SELECT ts_us / {bucket_us}, group_id, {_RAW_SUMS} FROM usage {where}
GROUP BY ts_us / {bucket_us}, group_id"""


def _prune_rollup(table: str, bucket: str, bucket_us: int) -> tuple[str, str]:
    """Drop the rollup rows of buckets up to ``bucket`` (the one holding the cutoff),
    then rebuild that straddling bucket from the raw rows left in it."""
    where = f"WHERE ts_us >= %(bucket)s * {bucket_us} AND ts_us < (%(bucket)s + 1) * {bucket_us}"
    return f"DELETE FROM {table} WHERE {bucket} <= %(bucket)s", _backfill(table, bucket_us, where)


MIGRATIONS = (
    # 1: one row per call, indexed by time.
    (_CREATE_USAGE, "CREATE INDEX usage_ts ON usage (ts_us)"),
    # 2: groups and hourly/daily rollups maintained on write: stats never scan the rows.
    (
        _CREATE_GROUPS,
        f"INSERT INTO usage_groups ({_KEYS}) SELECT DISTINCT {_KEYS} FROM usage",
        "ALTER TABLE usage ADD COLUMN group_id BIGINT NOT NULL DEFAULT 0",
        "UPDATE usage SET group_id = g.id FROM usage_groups g WHERE "
        + " AND ".join(f"g.{k} = usage.{k}" for k in GROUP_KEYS),
        _create_rollup("usage_daily", "day"),
        _create_rollup("usage_hourly", "hour"),
        _backfill("usage_daily", DAY_US),
        _backfill("usage_hourly", HOUR_US),
        _CREATE_FUNCTION,
        _CREATE_TRIGGER,
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = (
    f"INSERT INTO usage ({_COLUMNS}, group_id) VALUES ({', '.join('%s' for _ in RECORD_COLUMNS)}, %s) "
    "ON CONFLICT (record_id) DO NOTHING"
)
_GROUP_MARKS = ", ".join("%s" for _ in GROUP_KEYS)
_GROUP_INSERT = f"INSERT INTO usage_groups ({_KEYS}) VALUES ({_GROUP_MARKS}) ON CONFLICT DO NOTHING"
_GROUP_ID = "SELECT id FROM usage_groups WHERE " + " AND ".join(f"{k} = %s" for k in GROUP_KEYS)
_GROUP_SUMS = ", ".join(f"g.{k}" for k in GROUP_KEYS) + ", " + ", ".join(f"SUM(parts.{c})" for c in _COUNTS)
_STATS_ALL = f"""
SELECT {_GROUP_SUMS} FROM usage_daily AS parts JOIN usage_groups AS g ON g.id = parts.group_id
GROUP BY g.id"""
_STATS_SINCE = f"""
SELECT {_GROUP_SUMS} FROM (
    SELECT group_id, {_ROLLUP_SUMS} FROM usage_daily WHERE day >= %(first_day)s GROUP BY group_id
    UNION ALL
    SELECT group_id, {_ROLLUP_SUMS} FROM usage_hourly
    WHERE hour >= %(first_hour)s AND hour < %(first_day)s * 24 GROUP BY group_id
    UNION ALL
    SELECT group_id, {_RAW_SUMS} FROM usage
    WHERE ts_us >= %(since_us)s AND ts_us < %(first_hour)s * {HOUR_US} GROUP BY group_id
) AS parts JOIN usage_groups AS g ON g.id = parts.group_id
GROUP BY g.id"""
_PRUNE_ROLLUPS = (
    (HOUR_US, _prune_rollup("usage_hourly", "hour", HOUR_US)),
    (DAY_US, _prune_rollup("usage_daily", "day", DAY_US)),
)
_PAGE = 1000
_EARLIEST = -(2**62)


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
        self._groups: dict[tuple[object, ...], int] = {}
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
        records = list(records)
        if not records:
            return 0
        learned: dict[tuple[object, ...], int] = {}

        def insert(conn: Any) -> int:
            rows = [(*record_to_row(r), self._group_id(conn, group_key(r), learned)) for r in records]
            with conn.cursor() as cursor:
                cursor.executemany(_INSERT, rows)
                return cursor.rowcount

        written = self._run(insert)
        self._groups.update(learned)  # only ids whose creation was committed
        return written

    def _group_id(self, conn: Any, key: tuple[object, ...], learned: dict[tuple[object, ...], int]) -> int:
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
        sql = f"SELECT {_COLUMNS} FROM usage WHERE ts_us >= %s ORDER BY ts_us DESC, id DESC LIMIT %s"
        params = (_EARLIEST if since is None else to_us(since), max(0, limit))
        return [row_to_record(row) for row in self._run(lambda conn: conn.execute(sql, params).fetchall())]

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        """Every record since ``since``, oldest first, in pages of 1,000 rows (keyset)."""
        sql = (
            f"SELECT id, {_COLUMNS} FROM usage WHERE (ts_us, id) > (%s, %s) ORDER BY ts_us, id LIMIT {_PAGE}"
        )
        last = (_EARLIEST, -1) if since is None else (to_us(since) - 1, -_EARLIEST)
        while True:
            page = self._run(lambda conn, key=last: conn.execute(sql, key).fetchall())
            yield from (row_to_record(row[1:]) for row in page)
            if len(page) < _PAGE:
                return
            last = (page[-1][2], page[-1][0])

    def count(self) -> int:
        """Number of stored records."""
        return int(self._run(lambda conn: conn.execute("SELECT COUNT(*) FROM usage").fetchone()[0]))

    def prune(self, before: datetime) -> int:
        """Delete the records older than ``before`` in one transaction; returns their number.

        Rollups stay exact: the hourly and daily buckets wholly before the cutoff are
        dropped, and the hour and the day straddling it are recomputed from the rows
        left in them, so ``stats`` for any ``since`` equals the plain sum of the kept
        records. When something is old enough, writers wait (``SHARE ROW EXCLUSIVE``
        lock on ``usage``) until the rebuild commits; otherwise this is one indexed
        ``SELECT`` and takes no lock.
        """
        before_us = to_us(before)

        def delete(conn: Any) -> int:
            if conn.execute("SELECT 1 FROM usage WHERE ts_us < %s LIMIT 1", (before_us,)).fetchone() is None:
                return 0
            conn.execute("LOCK TABLE usage IN SHARE ROW EXCLUSIVE MODE")
            removed = int(conn.execute("DELETE FROM usage WHERE ts_us < %s", (before_us,)).rowcount)
            if removed:  # another pruner may have been first while we waited for the lock
                for bucket_us, statements in _PRUNE_ROLLUPS:
                    for statement in statements:
                        conn.execute(statement, {"bucket": before_us // bucket_us})
            return removed

        return self._run(delete)

    def reset(self) -> None:
        """Delete every record and its rollups in one transaction (groups stay: writers cache ids)."""
        self._run(lambda conn: conn.execute("TRUNCATE usage, usage_daily, usage_hourly"))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
