"""Role ``memory`` on SQLite: JSON values by (namespace, key), optionally expiring.

Table ``memory`` (component ``memory``): primary key (``namespace``, ``key``),
``expires_us`` (``NULL``: never; rows past it are never read and are deleted on writes)
and ``value`` as JSON.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from empathy_core import check_name, check_seconds, check_value
from empathy_sqlite.store import SQLiteStore, now_us, seconds_us

MIGRATIONS = (
    (
        "CREATE TABLE memory (namespace TEXT NOT NULL, key TEXT NOT NULL, expires_us INTEGER, "
        "value TEXT NOT NULL, PRIMARY KEY (namespace, key)) WITHOUT ROWID",
        "CREATE INDEX memory_expires ON memory (expires_us) WHERE expires_us IS NOT NULL",
    ),
)

_LIVE = "(expires_us IS NULL OR expires_us > ?)"


class SQLiteMemoryStore(SQLiteStore):
    """Short-term memory: values by namespace and key."""

    role = "memory"
    component = "memory"
    migrations = MIGRATIONS

    def set_value(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None:
        where = (check_name(namespace, "namespace"), check_name(key, "key"))
        text = json.dumps(check_value(value, f"memory value {key!r}"))
        lifetime = None if ttl is None else seconds_us(check_seconds(ttl, "ttl"))

        def put(conn: sqlite3.Connection) -> None:
            now = now_us()
            conn.execute("DELETE FROM memory WHERE expires_us <= ?", (now,))
            conn.execute(
                "INSERT OR REPLACE INTO memory (namespace, key, expires_us, value) VALUES (?, ?, ?, ?)",
                (*where, None if lifetime is None else now + lifetime, text),
            )

        self._run(put, write=True)

    def get_value(self, namespace: str, key: str) -> Any | None:
        where = (check_name(namespace, "namespace"), check_name(key, "key"))
        row = self._run(
            lambda conn: conn.execute(
                f"SELECT value FROM memory WHERE namespace = ? AND key = ? AND {_LIVE}", (*where, now_us())
            ).fetchone()
        )
        return None if row is None else json.loads(row[0])

    def delete_value(self, namespace: str, key: str) -> bool:
        where = (check_name(namespace, "namespace"), check_name(key, "key"))

        def delete(conn: sqlite3.Connection) -> bool:
            sql = f"DELETE FROM memory WHERE namespace = ? AND key = ? AND {_LIVE}"
            return conn.execute(sql, (*where, now_us())).rowcount > 0

        return self._run(delete, write=True)

    def list_keys(self, namespace: str) -> list[str]:
        space = check_name(namespace, "namespace")
        rows = self._run(
            lambda conn: conn.execute(
                f"SELECT key FROM memory WHERE namespace = ? AND {_LIVE} ORDER BY key", (space, now_us())
            ).fetchall()
        )
        return [key for (key,) in rows]
