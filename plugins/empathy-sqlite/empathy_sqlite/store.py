"""The plumbing every SQLite store shares: one connection, a lock, transactions, waiting.

A store is one *component* of a database file (see :mod:`empathy_sqlite.database`).
Several threads share its connection behind a lock; several processes share the file
through SQLite's write lock. Waiting for another process's write is polling, cheap
because :meth:`SQLiteStore.wait_for` re-runs its query only after some connection has
committed (``PRAGMA data_version`` plus this store's own write count).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import ClassVar, TypeVar

from empathy_core import StorageError, redact_url
from empathy_sql.schema import Migration
from empathy_sqlite.database import connect

T = TypeVar("T")

FIRST_DELAY = 0.002
MAX_DELAY = 0.05
"""Polling back-off bounds, in seconds: a wake-up costs at most 50 ms of latency."""


def now_us() -> int:
    """This machine's clock, in microseconds since the epoch: the clock of every SQLite store."""
    return time.time_ns() // 1000


def seconds_us(seconds: float) -> int:
    """``seconds`` as whole microseconds."""
    return round(seconds * 1_000_000)


class SQLiteStore:
    """Base class: set ``role``, ``component`` and ``migrations``; read and write via :meth:`_run`."""

    role: ClassVar[str]
    component: ClassVar[str]
    migrations: ClassVar[Sequence[Migration]]

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        self._lock = threading.RLock()
        self._writes = 0
        self._conn: sqlite3.Connection | None = connect(url, self.component, self.migrations)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    def _run(self, action: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run ``action`` under the lock (in one ``BEGIN IMMEDIATE`` transaction if ``write``).

        SQLite errors become :class:`StorageError` naming the store; a failed write
        transaction is rolled back whole.
        """
        with self._lock:
            if self._conn is None:
                raise StorageError(f"{self.role} store {self.url} is closed")
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
                self._writes += 1
                return result
            except sqlite3.Error as exc:
                raise StorageError(f"{self.role} store {self.url}: {exc}") from None

    def _version(self) -> tuple[int, int]:
        """Changes whenever any connection (this one included) has committed."""
        return self._run(lambda conn: (conn.execute("PRAGMA data_version").fetchone()[0], self._writes))

    def wait_for(self, attempt: Callable[[], T], seconds: float) -> T:
        """``attempt()`` until it returns something truthy or ``seconds`` have passed.

        Returns the last result (falsy on a time-out). ``attempt`` runs once at once, then
        again only after a commit; the lock is not held while sleeping.
        """
        deadline = time.monotonic() + max(seconds, 0.0)
        seen = self._version()
        found = attempt()
        delay = FIRST_DELAY
        while not found:
            left = deadline - time.monotonic()
            if left <= 0:
                return found
            time.sleep(min(delay, left))
            delay = min(delay * 2, MAX_DELAY)
            version = self._version()
            if version != seen:
                seen, delay = version, FIRST_DELAY
                found = attempt()
        return found

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
