"""The SQL schema, queries and migration bookkeeping every SQL telemetry store shares.

Migration bookkeeping (one row per *component* in ``empathy_schema``, forward-only
migrations) and the telemetry schema: ``usage`` (one row per call), ``usage_groups``
(one id per distinct group key) and the ``usage_daily`` / ``usage_hourly`` rollups an
``AFTER INSERT`` trigger keeps, with the queries that write, read and prune them.

The SQL text is a pure function of a :class:`Dialect`, which says what differs between
engines (placeholders, type names, how a boolean becomes an integer); the readers and
writers at the end run it on any DB-API :class:`Connection` (``sqlite3``, ``psycopg``).
What no parameter can express (the trigger wrapper, the ``UPDATE ... FROM`` form,
opening connections, transactions and locking) stays in the storage plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

from empathy_core import UsageGroup
from empathy_sql.rows import (
    DAY_US,
    GROUP_KEYS,
    HOUR_US,
    RECORD_COLUMNS,
    SUM_COLUMNS,
    SinceBounds,
    group_key,
    record_to_row,
    row_to_group,
    row_to_record,
    to_us,
)

if TYPE_CHECKING:
    from empathy_core import UsageRecord

SCHEMA_TABLE = "empathy_schema"
"""The table holding each component's schema version."""

Migration = Sequence[str]
"""The SQL statements that move a component's schema from version ``n`` to ``n + 1``."""

CREATE_SCHEMA_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (component TEXT PRIMARY KEY, version INTEGER NOT NULL)"
)

KEYS = ", ".join(GROUP_KEYS)
COLUMNS = ", ".join(RECORD_COLUMNS)
COUNTS = ("calls", "cache_hits", *SUM_COLUMNS)
"""The columns of a rollup row after its bucket and group id."""

ROLLUP_SUMS = ", ".join(f"SUM({c}) AS {c}" for c in COUNTS)
COUNT_USAGE = "SELECT COUNT(*) FROM usage"
PAGE = 1000
"""Rows per page of :func:`page_after`."""
EARLIEST = -(2**62)
"""A ``ts_us`` before every record."""


@dataclass(frozen=True)
class Dialect:
    """What one SQL engine spells differently."""

    param: str
    """Positional placeholder (``?``, ``%s``)."""
    named: str
    """Named placeholder, ``{}`` standing for the name (``:{}``, ``%({})s``)."""
    integer: str
    """64-bit integer type."""
    flag: str
    """Type of 0/1 columns."""
    real: str
    """Double precision float type."""
    row_id: str
    """Type and constraint of an auto-numbered primary key."""
    as_int: str
    """A boolean expression as 0/1, ``{}`` standing for the expression."""
    rollup_options: str = ""
    """What follows a rollup table's closing parenthesis."""
    qualify_upsert: bool = False
    """Whether an upsert's ``SET`` names the existing row's columns through the table."""

    def params(self, count: int) -> str:
        """``count`` positional placeholders, comma-separated."""
        return ", ".join(self.param for _ in range(count))

    def name(self, name: str) -> str:
        """The named placeholder ``name``."""
        return self.named.format(name)


# -- migration bookkeeping ------------------------------------------------------------


def select_version(dialect: Dialect) -> str:
    """The query for a component's version (one parameter: the component)."""
    return f"SELECT version FROM {SCHEMA_TABLE} WHERE component = {dialect.param}"


def record_version(dialect: Dialect) -> str:
    """The upsert recording a component's version (parameters: component, version)."""
    return (
        f"INSERT INTO {SCHEMA_TABLE} (component, version) VALUES ({dialect.params(2)}) "
        "ON CONFLICT (component) DO UPDATE SET version = excluded.version"
    )


def newer_schema(store: str, component: str, current: int, target: int) -> str | None:
    """Why ``store`` cannot be used when its ``component`` is at a newer version, else ``None``."""
    if current <= target:
        return None
    return (
        f"store {store}: its {component} schema is version {current}, newer than this "
        f"version of Empathy understands ({target}); upgrade the storage plugin"
    )


def current_version(dialect: Dialect, conn: Connection, component: str) -> int:
    """The version of ``component`` (0: not created), creating the schema table if missing."""
    conn.execute(CREATE_SCHEMA_TABLE)
    row = conn.execute(select_version(dialect), (component,)).fetchone()
    return int(row[0]) if row else 0


def upgrade(
    dialect: Dialect, conn: Connection, component: str, migrations: Sequence[Migration], current: int
) -> None:
    """Run the migrations after version ``current`` and record the new version.

    Run it in one transaction, after checking :func:`newer_schema`, holding a lock
    that makes concurrent openers wait.
    """
    for statements in migrations[current:]:
        for statement in statements:
            conn.execute(statement)
    conn.execute(record_version(dialect), (component, len(migrations)))


# -- telemetry schema -----------------------------------------------------------------

_NULLABLE = ("error", "request_id", "run_id", "user_id", "prompt")
_FLAGS = ("batch", "success")


def _column_type(dialect: Dialect, column: str) -> str:
    """The declared type of a ``usage`` (or ``usage_groups``) column."""
    if column in _NULLABLE:
        return "TEXT"
    if column == "record_id":
        return "TEXT NOT NULL UNIQUE"
    if column in _FLAGS:
        kind = dialect.flag
    elif column == "duration_ms":
        kind = dialect.real
    elif column == "ts_us" or column in SUM_COLUMNS:
        kind = dialect.integer
    else:
        kind = "TEXT"
    return f"{kind} NOT NULL"


def create_usage(dialect: Dialect) -> str:
    """``CREATE TABLE usage``: one row per call, columns in :data:`RECORD_COLUMNS` order."""
    columns = ",\n    ".join(f"{c} {_column_type(dialect, c)}" for c in RECORD_COLUMNS)
    return f"\nCREATE TABLE usage (\n    id {dialect.row_id},\n    {columns}\n)"


def create_groups(dialect: Dialect) -> str:
    """``CREATE TABLE usage_groups``: one id per distinct group key."""
    columns = ",\n    ".join(f"{k} {_column_type(dialect, k)}" for k in GROUP_KEYS)
    return f"\nCREATE TABLE usage_groups (\n    id {dialect.row_id},\n    {columns},\n    UNIQUE ({KEYS})\n)"


def create_rollup(dialect: Dialect, table: str, bucket: str) -> str:
    """``CREATE TABLE`` for a rollup keyed by ``(bucket, group_id)``."""
    sums = ",\n    ".join(
        f"{c} {dialect.real if c == 'duration_ms' else dialect.integer} NOT NULL" for c in COUNTS
    )
    return f"""
CREATE TABLE {table} (
    {bucket} {dialect.integer} NOT NULL,
    group_id {dialect.integer} NOT NULL,
    {sums},
    PRIMARY KEY ({bucket}, group_id)
){dialect.rollup_options}"""


def _rollup_upsert(dialect: Dialect, table: str, bucket: str, bucket_us: int) -> str:
    current = f"{table}." if dialect.qualify_upsert else ""
    updates = ", ".join(f"{c} = {current}{c} + excluded.{c}" for c in COUNTS)
    values = ", ".join(f"NEW.{c}" for c in SUM_COLUMNS)
    hit = dialect.as_int.format("NEW.cache_read_tokens > 0")
    return f"""
    INSERT INTO {table} ({bucket}, group_id, {", ".join(COUNTS)})
    VALUES (NEW.ts_us / {bucket_us}, NEW.group_id, 1, {hit}, {values})
    ON CONFLICT ({bucket}, group_id) DO UPDATE SET {updates};"""


def rollup_upserts(dialect: Dialect) -> str:
    """The trigger body's statements adding row ``NEW`` to the daily and hourly rollups."""
    return (
        _rollup_upsert(dialect, "usage_daily", "day", DAY_US)
        + "\n"
        + _rollup_upsert(dialect, "usage_hourly", "hour", HOUR_US)
    )


def raw_sums(dialect: Dialect) -> str:
    """The select list summing raw ``usage`` rows into rollup columns."""
    hits = dialect.as_int.format("cache_read_tokens > 0")
    return ", ".join(
        ["COUNT(*) AS calls", f"SUM({hits}) AS cache_hits"] + [f"SUM({c}) AS {c}" for c in SUM_COLUMNS]
    )


def backfill(dialect: Dialect, table: str, bucket_us: int, where: str = "") -> str:
    """Fill rollup ``table`` from the ``usage`` rows matching ``where``."""
    return f"""
INSERT INTO {table} SELECT ts_us / {bucket_us}, group_id, {raw_sums(dialect)} FROM usage {where}
GROUP BY ts_us / {bucket_us}, group_id"""


def match_groups(groups: str, rows: str) -> str:
    """The condition joining ``groups`` (a ``usage_groups`` alias) to ``rows`` on every key."""
    return " AND ".join(f"{groups}.{k} = {rows}.{k}" for k in GROUP_KEYS)


def telemetry_migrations(
    dialect: Dialect, assign_groups: str, triggers: Sequence[str]
) -> tuple[Migration, ...]:
    """The telemetry component's migrations.

    ``assign_groups`` sets ``usage.group_id`` from ``usage_groups`` (the dialect's
    ``UPDATE`` form); ``triggers`` create the ``AFTER INSERT`` trigger running
    :func:`rollup_upserts`.
    """
    return (
        # 1: one row per call, indexed by time.
        (create_usage(dialect), "CREATE INDEX usage_ts ON usage (ts_us)"),
        # 2: groups and hourly/daily rollups maintained on write: stats never scan the rows.
        (
            create_groups(dialect),
            f"INSERT INTO usage_groups ({KEYS}) SELECT DISTINCT {KEYS} FROM usage",
            f"ALTER TABLE usage ADD COLUMN group_id {dialect.integer} NOT NULL DEFAULT 0",
            assign_groups,
            create_rollup(dialect, "usage_daily", "day"),
            create_rollup(dialect, "usage_hourly", "hour"),
            backfill(dialect, "usage_daily", DAY_US),
            backfill(dialect, "usage_hourly", HOUR_US),
            *triggers,
        ),
    )


# -- telemetry queries ----------------------------------------------------------------


@cache
def insert_usage(dialect: Dialect) -> str:
    """Insert one row (record columns, then ``group_id``); a known ``record_id`` is skipped."""
    return (
        f"INSERT INTO usage ({COLUMNS}, group_id) VALUES ({dialect.params(len(RECORD_COLUMNS) + 1)}) "
        "ON CONFLICT (record_id) DO NOTHING"
    )


@cache
def insert_group(dialect: Dialect) -> str:
    """Create a group (parameters: :data:`GROUP_KEYS`) unless it exists."""
    return (
        f"INSERT INTO usage_groups ({KEYS}) VALUES ({dialect.params(len(GROUP_KEYS))}) ON CONFLICT DO NOTHING"
    )


@cache
def select_group(dialect: Dialect) -> str:
    """The id of a group (parameters: :data:`GROUP_KEYS`)."""
    return "SELECT id FROM usage_groups WHERE " + " AND ".join(f"{k} = {dialect.param}" for k in GROUP_KEYS)


_GROUP_SUMS = ", ".join(f"g.{k}" for k in GROUP_KEYS) + ", " + ", ".join(f"SUM(parts.{c})" for c in COUNTS)

STATS_ALL = f"""
SELECT {_GROUP_SUMS} FROM usage_daily AS parts JOIN usage_groups AS g ON g.id = parts.group_id
GROUP BY g.id"""
"""Per-group sums of every record (rows :func:`~empathy_sql.rows.row_to_group` reads)."""


@cache
def stats_since(dialect: Dialect) -> str:
    """Per-group sums since a moment (named parameters of :class:`~empathy_sql.rows.SinceBounds`)."""
    since_us, first_hour, first_day = (dialect.name(n) for n in ("since_us", "first_hour", "first_day"))
    return f"""
SELECT {_GROUP_SUMS} FROM (
    SELECT group_id, {ROLLUP_SUMS} FROM usage_daily WHERE day >= {first_day} GROUP BY group_id
    UNION ALL
    SELECT group_id, {ROLLUP_SUMS} FROM usage_hourly
    WHERE hour >= {first_hour} AND hour < {first_day} * 24 GROUP BY group_id
    UNION ALL
    SELECT group_id, {raw_sums(dialect)} FROM usage
    WHERE ts_us >= {since_us} AND ts_us < {first_hour} * {HOUR_US} GROUP BY group_id
) AS parts JOIN usage_groups AS g ON g.id = parts.group_id
GROUP BY g.id"""


@cache
def newest(dialect: Dialect) -> str:
    """The newest rows from a ``ts_us`` on (parameters: ``ts_us``, limit), newest first."""
    mark = dialect.param
    return f"SELECT {COLUMNS} FROM usage WHERE ts_us >= {mark} ORDER BY ts_us DESC, id DESC LIMIT {mark}"


@cache
def page_after(dialect: Dialect) -> str:
    """:data:`PAGE` rows ``(id, *RECORD_COLUMNS)`` after key ``(ts_us, id)``, oldest first."""
    key = dialect.params(2)
    return f"SELECT id, {COLUMNS} FROM usage WHERE (ts_us, id) > ({key}) ORDER BY ts_us, id LIMIT {PAGE}"


Page = Sequence[Sequence[Any]]


def records_in_pages(
    fetch: Callable[[tuple[int, int]], Page], since: datetime | None
) -> Iterator[UsageRecord]:
    """Every record since ``since``, oldest first (keyset pagination on ``(ts_us, id)``).

    ``fetch(key)`` runs :func:`page_after` with ``key`` and returns its rows; callers may
    release their locks between pages.
    """
    last = (EARLIEST, -1) if since is None else (to_us(since) - 1, -EARLIEST)
    while True:
        page = fetch(last)
        yield from (row_to_record(row[1:]) for row in page)
        if len(page) < PAGE:
            return
        last = (page[-1][2], page[-1][0])


@cache
def delete_before(dialect: Dialect) -> str:
    """Delete the rows older than a ``ts_us`` (one parameter)."""
    return f"DELETE FROM usage WHERE ts_us < {dialect.param}"


@cache
def prune_rollups(dialect: Dialect) -> tuple[tuple[int, tuple[str, str]], ...]:
    """Per rollup, ``(bucket_us, statements)`` run with parameter ``bucket`` (the bucket
    holding the cutoff): drop the rollup rows up to it, then rebuild that straddling
    bucket from the raw rows left in it."""
    bucket = dialect.name("bucket")

    def statements(table: str, column: str, bucket_us: int) -> tuple[str, str]:
        where = f"WHERE ts_us >= {bucket} * {bucket_us} AND ts_us < ({bucket} + 1) * {bucket_us}"
        return f"DELETE FROM {table} WHERE {column} <= {bucket}", backfill(dialect, table, bucket_us, where)

    return (
        (HOUR_US, statements("usage_hourly", "hour", HOUR_US)),
        (DAY_US, statements("usage_daily", "day", DAY_US)),
    )


# -- running them ---------------------------------------------------------------------


class Connection(Protocol):
    """What the helpers below need of a connection (``sqlite3`` and ``psycopg`` have it)."""

    def execute(self, query: str, params: Any = ..., /) -> Any:
        """Run ``query``; returns a cursor (``fetchone``, ``fetchall``, ``rowcount``)."""


GroupIds = dict[tuple[object, ...], int]


def usage_rows(
    dialect: Dialect, conn: Connection, records: Iterable[UsageRecord], known: GroupIds, learned: GroupIds
) -> list[tuple[Any, ...]]:
    """The parameter rows of :func:`insert_usage` for ``records``.

    A group id is taken from ``known`` (committed, cached by the writer) or ``learned``
    (this transaction's), else its group is created and its id added to ``learned``;
    group ids never change, so the writer merges ``learned`` into ``known`` once the
    transaction commits.
    """
    rows = []
    for record in records:
        key = group_key(record)
        found = known.get(key) or learned.get(key)
        if found is None:
            conn.execute(insert_group(dialect), key)
            found = learned[key] = conn.execute(select_group(dialect), key).fetchone()[0]
        rows.append((*record_to_row(record), found))
    return rows


def read_stats(dialect: Dialect, conn: Connection, since: datetime | None) -> list[UsageGroup]:
    """Per-group sums since ``since`` (every record if ``None``) from the rollups."""
    if since is None:
        rows = conn.execute(STATS_ALL).fetchall()
    else:
        rows = conn.execute(stats_since(dialect), SinceBounds.of(since).params()).fetchall()
    return [row_to_group(row) for row in rows]


def read_newest(dialect: Dialect, conn: Connection, limit: int, since: datetime | None) -> list[UsageRecord]:
    """The ``limit`` newest records since ``since``, newest first."""
    params = (EARLIEST if since is None else to_us(since), max(0, limit))
    return [row_to_record(row) for row in conn.execute(newest(dialect), params).fetchall()]


def read_page(dialect: Dialect, conn: Connection, key: tuple[int, int]) -> Page:
    """The rows of :func:`page_after` ``key``, for :func:`records_in_pages`."""
    rows: Page = conn.execute(page_after(dialect), key).fetchall()
    return rows


def count_usage(conn: Connection) -> int:
    """Number of stored records."""
    return int(conn.execute(COUNT_USAGE).fetchone()[0])


def delete_old(dialect: Dialect, conn: Connection, before_us: int) -> int:
    """Delete the rows older than ``before_us`` and keep the rollups exact; returns their number.

    Drops the rollup buckets wholly before the cutoff and rebuilds the hour and the day
    straddling it from the rows left in them. Run it inside one transaction.
    """
    removed = int(conn.execute(delete_before(dialect), (before_us,)).rowcount)
    if removed:
        for bucket_us, statements in prune_rollups(dialect):
            for statement in statements:
                conn.execute(statement, {"bucket": before_us // bucket_us})
    return removed


class SqlTelemetryReads:
    """The read side of :class:`~empathy_core.TelemetryStore` for SQL stores.

    A subclass sets ``dialect`` and provides ``_run(action)``, which calls
    ``action(connection)`` under the store's lock (in a transaction) and returns its result.
    """

    dialect: Dialect
    _run: Callable[..., Any]

    def stats(self, since: datetime | None = None) -> list[UsageGroup]:
        """Per-group sums since ``since`` from the rollups (and at most an hour of rows)."""
        return self._run(lambda conn: read_stats(self.dialect, conn, since))

    def recent(self, limit: int = 100, since: datetime | None = None) -> list[UsageRecord]:
        """The ``limit`` newest records since ``since``, newest first."""
        return self._run(lambda conn: read_newest(self.dialect, conn, limit, since))

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        """Every record since ``since``, oldest first, read in pages of 1,000 rows.

        The lock is released between pages (keyset pagination on ``(ts_us, id)``), so a
        long export never blocks writers.
        """
        return records_in_pages(self._page_after, since)

    def _page_after(self, key: tuple[int, int]) -> Page:
        return self._run(lambda conn: read_page(self.dialect, conn, key))

    def count(self) -> int:
        """Number of stored records."""
        return self._run(count_usage)
