"""The SQLite telemetry store: one row per LLM call plus hourly and daily rollups.

Schema (component ``telemetry`` in ``empathy_schema``):

- ``usage``: one row per :class:`~empathy_core.UsageRecord`; ``record_id`` is
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
(:class:`~empathy_sql.rows.SinceBounds`), grouping by integer group id: its cost
depends on the number of days and groups, not on the number of records.

``prune(before)`` deletes old rows and keeps the rollups exact by recomputing the one hour
and the one day that straddle the cutoff from the rows left in them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from empathy_core import UsageRecord
from empathy_sql import schema as sql
from empathy_sql.rows import to_us
from empathy_sqlite.database import SQLITE
from empathy_sqlite.store import SQLiteStore

COMPONENT = "telemetry"

_CREATE_TRIGGER = f"""
CREATE TRIGGER usage_rollup_on_insert AFTER INSERT ON usage BEGIN
{sql.rollup_upserts(SQLITE)}
END"""

MIGRATIONS = sql.telemetry_migrations(
    SQLITE,
    assign_groups="UPDATE usage SET group_id = (SELECT g.id FROM usage_groups g WHERE "
    + sql.match_groups("g", "usage")
    + ")",
    triggers=(_CREATE_TRIGGER,),
)
SCHEMA_VERSION = len(MIGRATIONS)

_INSERT = sql.insert_usage(SQLITE)


class SQLiteTelemetryStore(SQLiteStore, sql.SqlTelemetryReads):
    """A :class:`~empathy_core.TelemetryStore` in one SQLite file (WAL mode).

    Safe for several threads (one connection behind a lock) and several processes
    (SQLite's write lock with a 60 s busy timeout). Every write is one ``BEGIN IMMEDIATE``
    transaction, so a killed writer leaves whole batches or nothing.
    """

    dialect = SQLITE
    role = "telemetry"
    component = COMPONENT
    migrations = MIGRATIONS
    schema_version = SCHEMA_VERSION

    def __init__(self, url: str) -> None:
        self._groups: sql.GroupIds = {}
        super().__init__(url)

    # -- TelemetryStore ----------------------------------------------------------------

    def write(self, record: UsageRecord) -> None:
        """Store one record (ignored if its ``record_id`` is already stored)."""
        self.write_many((record,))

    def write_many(self, records: Iterable[UsageRecord]) -> int:
        """Store ``records`` in one transaction; returns how many were new."""
        records = list(records)
        if not records:
            return 0

        learned: sql.GroupIds = {}

        def insert(conn: sqlite3.Connection) -> int:
            rows = sql.usage_rows(SQLITE, conn, records, self._groups, learned)
            return conn.executemany(_INSERT, rows).rowcount

        written = self._run(insert, write=True)
        self._groups.update(learned)  # only ids whose creation was committed
        return written

    def prune(self, before: datetime) -> int:
        """Delete the records older than ``before`` in one transaction; returns their number.

        Rollups stay exact: the hourly and daily buckets wholly before the cutoff are
        dropped, and the hour and the day straddling it are recomputed from the rows
        left in them, so ``stats`` for any ``since`` equals the plain sum of the kept
        records. Costs one indexed ``DELETE`` when nothing is old enough, else at most a
        day of rows re-aggregated.
        """
        before_us = to_us(before)
        return self._run(lambda conn: sql.delete_old(SQLITE, conn, before_us), write=True)

    def reset(self) -> None:
        """Delete every record and its rollups in one transaction."""

        def clear(conn: sqlite3.Connection) -> None:
            for table in ("usage", "usage_daily", "usage_hourly"):
                conn.execute(f"DELETE FROM {table}")  # groups stay: other writers cache their ids

        self._run(clear, write=True)
