"""Role ``events`` on SQLite: one append-only table, bounded per type, with consumer groups.

Tables (component ``events``):

- ``events``: ``event_id`` (``AUTOINCREMENT``: increasing, never reused, handed out as
  decimal strings), ``event_type``, ``ts_us`` and ``data`` (JSON); indexed by
  (``event_type``, ``event_id``). After each publish the type is trimmed to its newest
  ``retention`` events.
- ``event_cursors``: per (group, event type, or ``*`` for "every type") the last event id
  handed to the group; created at the newest id when the group first reads that type.
- ``event_pending``: per (group, event id) the consumer holding it and when it was
  delivered, until acknowledged. An entry idle for ``claim_idle_ms`` moves to the next
  consumer that reads; one whose event was trimmed away is dropped.

A group read is one ``BEGIN IMMEDIATE`` transaction, so two consumers, in any processes,
never receive the same new event.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from empathy_core import Event, check_name, check_payload
from empathy_sql.rows import from_us, to_us
from empathy_sqlite.store import SQLiteStore, now_us

ALL_TYPES = "*"
"""The cursor key of a group reading every event type."""

MIGRATIONS = (
    (
        "CREATE TABLE events (event_id INTEGER PRIMARY KEY AUTOINCREMENT, event_type TEXT NOT NULL, "
        "ts_us INTEGER NOT NULL, data TEXT NOT NULL)",
        "CREATE INDEX events_by_type ON events (event_type, event_id)",
        "CREATE TABLE event_cursors (group_name TEXT NOT NULL, event_type TEXT NOT NULL, "
        "last_id INTEGER NOT NULL, PRIMARY KEY (group_name, event_type)) WITHOUT ROWID",
        "CREATE TABLE event_pending (group_name TEXT NOT NULL, event_id INTEGER NOT NULL, "
        "consumer TEXT NOT NULL, delivered_us INTEGER NOT NULL, PRIMARY KEY (group_name, event_id)) "
        "WITHOUT ROWID",
    ),
)

_COLUMNS = "e.event_id, e.event_type, e.ts_us, e.data"
_LAST_ID = "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0)"


def _event(row: Sequence[Any]) -> Event:
    event_id, event_type, ts_us, data = row
    return Event(str(event_id), event_type, json.loads(data), from_us(ts_us))


def _cursor(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"event cursor must be an event id of this store, got {value!r}") from None


def _types(event_types: Sequence[str] | None) -> list[str] | None:
    """The checked event types, each once (``None``: every type)."""
    if event_types is None:
        return None
    return list(dict.fromkeys(check_name(t, "event_type") for t in event_types))


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join('?' * len(values))})"


class SQLiteEventStore(SQLiteStore):
    """Event streams with fan-out reads and consumer groups (see the module docstring)."""

    role = "events"
    component = "events"
    migrations = MIGRATIONS

    def __init__(self, url: str, retention: int = 10_000) -> None:
        if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
            raise ValueError(f"event retention must be a positive number of events, got {retention!r}")
        self.retention = retention
        super().__init__(url)

    def publish_event(self, event_type: str, data: dict[str, Any], timestamp: datetime) -> Event:
        kind = check_name(event_type, "event_type")
        payload = check_payload(data, "event data")
        text = json.dumps(payload)
        ts = to_us(timestamp)

        def publish(conn: sqlite3.Connection) -> int:
            row_id = conn.execute(
                "INSERT INTO events (event_type, ts_us, data) VALUES (?, ?, ?)", (kind, ts, text)
            ).lastrowid
            conn.execute(
                "DELETE FROM events WHERE event_type = ? AND event_id <= (SELECT event_id FROM events "
                "WHERE event_type = ? ORDER BY event_id DESC LIMIT 1 OFFSET ?)",
                (kind, kind, self.retention),
            )
            return int(row_id)

        return Event(str(self._run(publish, write=True)), kind, payload, from_us(ts))

    def recent_events(self, event_type: str | None = None, count: int = 100) -> list[Event]:
        where, params = "", []
        if event_type is not None:
            where, params = "WHERE e.event_type = ?", [check_name(event_type, "event_type")]
        query = f"SELECT {_COLUMNS} FROM events e {where} ORDER BY e.event_id DESC LIMIT ?"
        rows = self._run(lambda conn: conn.execute(query, (*params, max(int(count), 0))).fetchall())
        return [_event(row) for row in rows]

    def last_event_id(self) -> str:
        return str(self._run(lambda conn: conn.execute(_LAST_ID).fetchone()[0]))

    def read_events(
        self, event_types: Sequence[str] | None, after: str, block_ms: int, count: int
    ) -> list[Event]:
        types, start = _types(event_types), _cursor(after)
        where, params = "e.event_id > ?", [start]
        if types is not None:
            where += " AND " + _in("e.event_type", types)
            params += types
        query = f"SELECT {_COLUMNS} FROM events e WHERE {where} ORDER BY e.event_id LIMIT ?"

        def read() -> list[Event]:
            rows = self._run(lambda conn: conn.execute(query, (*params, max(int(count), 1))).fetchall())
            return [_event(row) for row in rows]

        return self.wait_for(read, block_ms / 1000)

    def read_group(
        self,
        group: str,
        consumer: str,
        event_types: Sequence[str] | None,
        block_ms: int,
        count: int,
        claim_idle_ms: int = 30_000,
    ) -> list[Event]:
        name, who, types = check_name(group, "group"), check_name(consumer, "consumer"), _types(event_types)
        keys = [ALL_TYPES] if types is None else types
        count = max(int(count), 1)

        def first(conn: sqlite3.Connection) -> list[Event]:
            _ensure_cursors(conn, name, keys)
            claimed = _claim(conn, name, who, types, count, now_us() - int(claim_idle_ms) * 1000)
            return claimed + _deliver(conn, name, who, keys, types, count - len(claimed))

        found = self._run(first, write=True)
        if found or block_ms <= 0:
            return found

        def later() -> list[Event]:
            return self._run(lambda conn: _deliver(conn, name, who, keys, types, count), write=True)

        return self.wait_for(later, block_ms / 1000)

    def ack_events(self, group: str, event_ids: Iterable[str]) -> int:
        name = check_name(group, "group")
        ids = [(name, _cursor(event_id)) for event_id in event_ids]
        if not ids:
            return 0

        def ack(conn: sqlite3.Connection) -> int:
            return conn.executemany(
                "DELETE FROM event_pending WHERE group_name = ? AND event_id = ?", ids
            ).rowcount

        return self._run(ack, write=True)


def _ensure_cursors(conn: sqlite3.Connection, group: str, keys: Sequence[str]) -> None:
    """Start the group's missing cursors after the newest event published so far."""
    conn.executemany(
        f"INSERT INTO event_cursors (group_name, event_type, last_id) VALUES (?, ?, ({_LAST_ID})) "
        "ON CONFLICT (group_name, event_type) DO NOTHING",
        [(group, key) for key in keys],
    )


def _claim(
    conn: sqlite3.Connection, group: str, consumer: str, types: list[str] | None, count: int, idle_before: int
) -> list[Event]:
    """Move up to ``count`` pending events idle since before ``idle_before`` to ``consumer``."""
    conn.execute(
        "DELETE FROM event_pending WHERE group_name = ? AND NOT EXISTS "
        "(SELECT 1 FROM events e WHERE e.event_id = event_pending.event_id)",
        (group,),
    )
    where, params = "p.group_name = ? AND p.delivered_us < ?", [group, idle_before]
    if types is not None:
        where += " AND " + _in("e.event_type", types)
        params += types
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM event_pending p JOIN events e ON e.event_id = p.event_id "
        f"WHERE {where} ORDER BY p.event_id LIMIT ?",
        (*params, count),
    ).fetchall()
    conn.executemany(
        "UPDATE event_pending SET consumer = ?, delivered_us = ? WHERE group_name = ? AND event_id = ?",
        [(consumer, now_us(), group, row[0]) for row in rows],
    )
    return [_event(row) for row in rows]


def _deliver(
    conn: sqlite3.Connection,
    group: str,
    consumer: str,
    keys: Sequence[str],
    types: list[str] | None,
    count: int,
) -> list[Event]:
    """Hand up to ``count`` events after the group's cursors to ``consumer`` (pending)."""
    if count <= 0:
        return []
    if types is None:
        join, where, params = "c.event_type = ?", "", [ALL_TYPES]
    else:
        join, where, params = "c.event_type = e.event_type", " AND " + _in("e.event_type", types), list(types)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM events e JOIN event_cursors c ON c.group_name = ? AND {join} "
        f"WHERE e.event_id > c.last_id{where} ORDER BY e.event_id LIMIT ?",
        (group, *params, count),
    ).fetchall()
    if not rows:
        return []
    newest: dict[str, int] = {}
    for event_id, event_type, *_ in rows:
        newest[ALL_TYPES if types is None else event_type] = event_id
    conn.executemany(
        "UPDATE event_cursors SET last_id = ? WHERE group_name = ? AND event_type = ?",
        [(last, group, key) for key, last in newest.items()],
    )
    delivered = now_us()
    conn.executemany(
        "INSERT OR REPLACE INTO event_pending (group_name, event_id, consumer, delivered_us) "
        "VALUES (?, ?, ?, ?)",
        [(group, row[0], consumer, delivered) for row in rows],
    )
    return [_event(row) for row in rows]
