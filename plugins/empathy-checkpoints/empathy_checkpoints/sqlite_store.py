"""Role ``checkpoints`` on SQLite (``sqlite:///path``): the telemetry database file by default."""

from __future__ import annotations

from empathy_checkpoints.sql_store import COMPONENT, SqlCheckpoints, migrations
from empathy_sqlite.database import SQLITE
from empathy_sqlite.store import SQLiteStore

MIGRATIONS = migrations(SQLITE)


class SQLiteCheckpointStore(SqlCheckpoints, SQLiteStore):
    """Runs and stage checkpoints in an SQLite file (WAL; several processes share it)."""

    role = "checkpoints"
    component = COMPONENT
    migrations = MIGRATIONS
    dialect = SQLITE
