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
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

from empathy_core import StorageError, UsageRecord, redact_url
from empathy_postgres.database import POSTGRES, connect
from empathy_sql import schema as sql
from empathy_sql.rows import to_us

T = TypeVar("T")

COMPONENT = "telemetry"

_CREATE_FUNCTION = f"""
CREATE FUNCTION usage_rollup_on_insert() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
{sql.rollup_upserts(POSTGRES)}
    RETURN NULL;
END
$$"""

_CREATE_TRIGGER = (
    "CREATE TRIGGER usage_rollup_on_insert AFTER INSERT ON usage "
    "FOR EACH ROW EXECUTE FUNCTION usage_rollup_on_insert()"
)

MIGRATIONS = sql.telemetry_migrations(
    POSTGRES,
    assign_groups="UPDATE usage SET group_id = g.id FROM usage_groups g WHERE "
    + sql.match_groups("g", "usage"),
    triggers=(_CREATE_FUNCTION, _CREATE_TRIGGER),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = sql.insert_usage(POSTGRES)


class PostgresTelemetryStore(sql.SqlTelemetryReads):
    """A :class:`~empathy_core.TelemetryStore` in a PostgreSQL schema.

    One connection per store behind a lock (thread-safe); many processes and machines
    may write at once. Each write is one transaction.
    """

    dialect = POSTGRES

    schema_version = SCHEMA_VERSION

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        self._lock = threading.RLock()
        self._conn: Any = None
        self._groups: sql.GroupIds = {}
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
        learned: sql.GroupIds = {}

        def insert(conn: Any) -> int:
            rows = sql.usage_rows(POSTGRES, conn, records, self._groups, learned)
            with conn.cursor() as cursor:
                cursor.executemany(_INSERT, rows)
                return cursor.rowcount

        written = self._run(insert)
        self._groups.update(learned)  # only ids whose creation was committed
        return written

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
            # another pruner may have been first while we waited for the lock: then nothing
            # is deleted and no rollup is rebuilt
            return sql.delete_old(POSTGRES, conn, before_us)

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
