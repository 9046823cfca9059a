"""Open an SQLite database safely and bring one component's schema up to date.

Shared by every SQLite store (telemetry now; memory and coordination can follow): each
store is a *component* with its own row in the ``empathy_schema`` table and its own list
of forward migrations. A file that is not SQLite, or an SQLite database holding tables but
no ``empathy_schema`` table, is foreign: we refuse it and never write to it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path

from empathy_core import StorageError, cache_dir
from empathy_sql import schema as sql

PREFIX = "sqlite:///"
MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 60_000
CACHE_KIB = 32 * 1024
"""Page cache per connection: keeps the record-id index hot for large stores."""

SQLITE = sql.Dialect(
    param="?",
    named=":{}",
    integer="INTEGER",
    flag="INTEGER",
    real="REAL",
    row_id="INTEGER PRIMARY KEY",
    as_int="{}",
    rollup_options=" WITHOUT ROWID",
)
"""SQLite's spelling of the shared schema (:mod:`empathy_sql.schema`)."""


def database_path(url: str) -> str:
    """The file an ``sqlite:///`` URL names.

    ``sqlite:////abs/path.db`` is absolute; ``sqlite:///~/x.db`` expands ``~``;
    ``sqlite:///name.db`` is relative to the cache directory, never to the current
    directory; ``sqlite:///:memory:`` is a private in-memory database.
    """
    if not url.startswith(PREFIX) or len(url) == len(PREFIX):
        raise StorageError(
            f"invalid SQLite URL {url!r}: expected sqlite:///relative/to/cache.db or "
            f"sqlite:////absolute/path.db"
        )
    raw = url[len(PREFIX) :]
    if raw == MEMORY:
        return MEMORY
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute():
        path = cache_dir() / path
    return str(path)


def _check_file(url: str, path: str) -> None:
    """Refuse a directory at ``path``; create the parent directory of a new file.

    The file itself is never opened here: closing any descriptor of a database file drops
    every POSIX lock this process holds on it, including those of open SQLite connections
    (after which another process may think it is the last one and reset the WAL under
    them). SQLite checks the header itself (:func:`_refuse_foreign`).
    """
    if path == MEMORY:
        return
    file = Path(path)
    if file.is_dir():
        raise StorageError(f"store {url}: {path} is a directory, not a database file")
    if not file.exists():
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"store {url}: cannot create directory {file.parent}: {exc}") from None


def connect(url: str, component: str, migrations: Sequence[sql.Migration]) -> sqlite3.Connection:
    """Open ``url``, check it is ours (or empty), switch to WAL and migrate ``component``.

    The connection is in autocommit mode (``isolation_level=None``): callers issue
    ``BEGIN IMMEDIATE`` themselves. Raises :class:`StorageError` naming the URL for a
    foreign, corrupt, unreadable or newer-versioned database.
    """
    path = database_path(url)
    _check_file(url, path)
    try:
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise StorageError(f"store {url}: cannot open {path}: {exc}") from None
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _refuse_foreign(conn, url, path)
        if path != MEMORY and conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        _migrate(conn, url, path, component, migrations)
    except sqlite3.Error as exc:
        conn.close()
        raise StorageError(f"store {url}: {path} is unusable ({exc}); nothing was changed") from None
    except BaseException:
        conn.close()
        raise
    return conn


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def _refuse_foreign(conn: sqlite3.Connection, url: str, path: str) -> None:
    """Refuse a file that is not SQLite, or an SQLite database of another application.

    Runs before anything is written: reading the schema of a file without SQLite's header
    fails with ``SQLITE_NOTADB`` and leaves the file as it was.
    """
    try:
        tables = _tables(conn)
    except sqlite3.DatabaseError as exc:
        if exc.sqlite_errorcode != sqlite3.SQLITE_NOTADB:
            raise
        raise StorageError(
            f"store {url}: {path} is not an SQLite database; refusing to use or overwrite it "
            f"(point the store URL at another file)"
        ) from None
    if tables and sql.SCHEMA_TABLE not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise StorageError(
            f"store {url}: {path} is an SQLite database of another application (tables: "
            f"{shown}) without an {sql.SCHEMA_TABLE} table; refusing to use or overwrite it"
        )


def schema_version(conn: sqlite3.Connection, component: str) -> int:
    """The version of ``component`` recorded in the database (0: not created)."""
    if sql.SCHEMA_TABLE not in _tables(conn):
        return 0
    row = conn.execute(sql.select_version(SQLITE), (component,)).fetchone()
    return int(row[0]) if row else 0


def _migrate(
    conn: sqlite3.Connection, url: str, path: str, component: str, migrations: Sequence[sql.Migration]
) -> None:
    """Apply the missing migrations in one ``BEGIN IMMEDIATE`` transaction.

    Concurrent openers serialise on the write lock; the second sees the work done.
    """
    target = len(migrations)
    if schema_version(conn, component) == target:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        _refuse_foreign(conn, url, path)
        current = sql.current_version(SQLITE, conn, component)
        refusal = sql.newer_schema(url, component, current, target)
        if refusal:
            raise StorageError(refusal)
        sql.upgrade(SQLITE, conn, component, migrations, current)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
