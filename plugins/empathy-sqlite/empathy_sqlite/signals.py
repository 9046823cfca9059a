"""Role ``signals`` on SQLite: messages between agents, each kept ``ttl`` seconds.

Table ``signals`` (component ``signals``): ``seq`` (insertion order), ``signal_id``
(unique), ``target_agent`` (``NULL``: a broadcast), ``signal_type``, ``ts_us`` and
``expires_us`` (both indexed; expired rows are never read and are deleted on writes),
and ``signal``, the :class:`~empathy_core.Signal` as JSON.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime

from empathy_core import Signal, check_name, check_payload, check_seconds, from_dict, to_dict
from empathy_sql.rows import to_us
from empathy_sqlite.store import SQLiteStore, now_us, seconds_us

MIGRATIONS = (
    (
        "CREATE TABLE signals (seq INTEGER PRIMARY KEY, signal_id TEXT NOT NULL UNIQUE, "
        "target_agent TEXT, signal_type TEXT NOT NULL, ts_us INTEGER NOT NULL, "
        "expires_us INTEGER NOT NULL, signal TEXT NOT NULL)",
        "CREATE INDEX signals_time ON signals (ts_us, seq)",
        "CREATE INDEX signals_expires ON signals (expires_us)",
    ),
)


class SQLiteSignalStore(SQLiteStore):
    """Signals, addressed or broadcast, until they expire."""

    role = "signals"
    component = "signals"
    migrations = MIGRATIONS

    def send_signal(self, signal: Signal) -> None:
        check_name(signal.signal_type, "signal_type")
        check_name(signal.source_agent, "source_agent")
        if signal.target_agent is not None:
            check_name(signal.target_agent, "target_agent")
        check_payload(signal.payload, "signal payload")
        sent = to_us(signal.timestamp)
        row = (
            check_name(signal.signal_id, "signal_id"),
            signal.target_agent,
            signal.signal_type,
            sent,
            sent + seconds_us(check_seconds(signal.ttl, "signal ttl")),
            json.dumps(to_dict(signal)),
        )

        def send(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM signals WHERE expires_us <= ?", (now_us(),))
            conn.execute(
                "INSERT OR REPLACE INTO signals (signal_id, target_agent, signal_type, ts_us, "
                "expires_us, signal) VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )

        self._run(send, write=True)

    def list_signals(
        self,
        target_agent: str | None = None,
        signal_types: Sequence[str] | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Signal]:
        where = ["expires_us > ?"]
        params: list[object] = [now_us()]
        if target_agent is not None:
            where.append("(target_agent IS NULL OR target_agent = ?)")
            params.append(check_name(target_agent, "target_agent"))
        if signal_types is not None:
            types = [check_name(t, "signal_type") for t in signal_types]
            where.append(f"signal_type IN ({', '.join('?' * len(types))})")
            params.extend(types)
        if since is not None:
            where.append("ts_us >= ?")
            params.append(to_us(since))
        query = (
            f"SELECT signal FROM signals WHERE {' AND '.join(where)} "
            "ORDER BY ts_us DESC, seq DESC LIMIT ?"
        )
        rows = self._run(lambda conn: conn.execute(query, (*params, max(int(limit), 0))).fetchall())
        return [from_dict(Signal, json.loads(text)) for (text,) in reversed(rows)]
