"""Role ``heartbeats`` on SQLite: one row per agent, kept until ``last_beat + 10 * ttl``.

Table ``heartbeats`` (component ``heartbeats``): ``agent_id`` (primary key),
``expires_us`` (indexed; rows past it are deleted on every write and never read) and
``beat``, the :class:`~empathy_core.Heartbeat` as JSON.
"""

from __future__ import annotations

import json
import sqlite3

from empathy_core import Heartbeat, check_name, check_seconds, from_dict, to_dict
from empathy_sql.rows import to_us
from empathy_sqlite.store import SQLiteStore, now_us, seconds_us

KEPT_TTLS = 10
"""A beat is kept this many ``ttl`` s after its ``last_beat``."""

MIGRATIONS = (
    (
        "CREATE TABLE heartbeats (agent_id TEXT PRIMARY KEY, expires_us INTEGER NOT NULL, "
        "beat TEXT NOT NULL) WITHOUT ROWID",
        "CREATE INDEX heartbeats_expires ON heartbeats (expires_us)",
    ),
)

_DROP_EXPIRED = "DELETE FROM heartbeats WHERE expires_us <= ?"


class SQLiteHeartbeatStore(SQLiteStore):
    """The latest :class:`~empathy_core.Heartbeat` per agent."""

    role = "heartbeats"
    component = "heartbeats"
    migrations = MIGRATIONS

    def put_heartbeat(self, beat: Heartbeat) -> None:
        agent = check_name(beat.agent_id, "agent_id")
        expires = to_us(beat.last_beat) + KEPT_TTLS * seconds_us(check_seconds(beat.ttl, "heartbeat ttl"))
        text = json.dumps(to_dict(beat))

        def put(conn: sqlite3.Connection) -> None:
            now = now_us()
            conn.execute(_DROP_EXPIRED, (now,))
            if expires > now:
                conn.execute(
                    "INSERT OR REPLACE INTO heartbeats (agent_id, expires_us, beat) VALUES (?, ?, ?)",
                    (agent, expires, text),
                )
            else:  # already past keeping: the new beat replaces the old one by dropping it
                conn.execute("DELETE FROM heartbeats WHERE agent_id = ?", (agent,))

        self._run(put, write=True)

    def get_heartbeat(self, agent_id: str) -> Heartbeat | None:
        agent = check_name(agent_id, "agent_id")
        row = self._run(
            lambda conn: conn.execute(
                "SELECT beat FROM heartbeats WHERE agent_id = ? AND expires_us > ?", (agent, now_us())
            ).fetchone()
        )
        return None if row is None else from_dict(Heartbeat, json.loads(row[0]))

    def list_heartbeats(self) -> list[Heartbeat]:
        rows = self._run(
            lambda conn: conn.execute(
                "SELECT beat FROM heartbeats WHERE expires_us > ? ORDER BY agent_id", (now_us(),)
            ).fetchall()
        )
        return [from_dict(Heartbeat, json.loads(text)) for (text,) in rows]

    def delete_heartbeat(self, agent_id: str) -> bool:
        agent = check_name(agent_id, "agent_id")

        def delete(conn: sqlite3.Connection) -> bool:
            found = conn.execute(
                "DELETE FROM heartbeats WHERE agent_id = ? AND expires_us > ?", (agent, now_us())
            ).rowcount
            return found > 0

        return self._run(delete, write=True)
