"""Role ``checkpoints`` on PostgreSQL (``postgresql://...?schema=empathy``), for teams."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from empathy_checkpoints.sql_store import COMPONENT, SqlCheckpoints, migrations
from empathy_core import StorageError, redact_url
from empathy_postgres.database import POSTGRES, connect

T = TypeVar("T")

MIGRATIONS = migrations(POSTGRES)


class PostgresCheckpointStore(SqlCheckpoints):
    """Runs and stage checkpoints in a PostgreSQL schema; one connection behind a lock."""

    role = "checkpoints"
    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        self.url = redact_url(url)
        self._lock = threading.RLock()
        self._conn: Any = None
        self._conn, self.schema = connect(url, COMPONENT, MIGRATIONS)

    def __repr__(self) -> str:
        return f"PostgresCheckpointStore({self.url!r})"

    def _run(self, action: Callable[[Any], T], *, write: bool = False) -> T:
        """Run ``action(connection)`` in one transaction under the lock."""
        import psycopg

        with self._lock:
            if self._conn is None:
                raise StorageError(f"checkpoints store {self.url} is closed")
            try:
                with self._conn.transaction():
                    return action(self._conn)
            except psycopg.Error as exc:
                raise StorageError(f"checkpoints store {self.url}: {' '.join(str(exc).split())}") from None

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
