"""The SQLite telemetry store: conformance, schema versions, foreign and corrupt files."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from empathy_core import StorageError, group_records
from empathy_core.testing.store_conformance import TelemetryStoreConformance, make_record
from empathy_sql.rows import DAY_US, HOUR_US, RECORD_COLUMNS, SUM_COLUMNS, record_to_row
from empathy_sqlite.database import database_path
from empathy_sqlite.telemetry_store import MIGRATIONS, SQLiteTelemetryStore


class TestSQLiteConformance(TelemetryStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[[], SQLiteTelemetryStore]]:
        url = f"sqlite:///{tmp_path / 'telemetry.db'}"
        yield lambda: SQLiteTelemetryStore(url)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "empathy.db"


def test_database_is_in_wal_mode_with_our_schema_version(db_path: Path) -> None:
    store = SQLiteTelemetryStore(f"sqlite:///{db_path}")
    store.close()
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = conn.execute("SELECT component, version FROM empathy_schema").fetchall()
        assert rows == [("telemetry", len(MIGRATIONS))]
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM usage WHERE ts_us >= 0 ORDER BY ts_us DESC LIMIT 5"
        ).fetchall()
    assert any("usage_ts" in row[-1] for row in plan)


def test_relative_url_lives_in_the_cache_dir_not_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMPATHY_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    assert database_path("sqlite:///team/usage.db") == str(tmp_path / "cache" / "team" / "usage.db")
    assert database_path(f"sqlite:///{tmp_path}/x.db") == str(tmp_path / "x.db")


def test_version_1_database_is_migrated_and_its_rows_rolled_up(db_path: Path) -> None:
    records = [make_record(i) for i in range(60)]
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE empathy_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO empathy_schema VALUES ('telemetry', 1)")
        marks = ", ".join("?" * len(RECORD_COLUMNS))
        sql = f"INSERT INTO usage ({', '.join(RECORD_COLUMNS)}) VALUES ({marks})"
        conn.executemany(sql, [record_to_row(r) for r in records])
    store = SQLiteTelemetryStore(f"sqlite:///{db_path}")
    try:
        assert store.count() == 60
        stats = store.stats()
        assert sorted(stats, key=repr) == sorted(group_records(records), key=repr)
    finally:
        store.close()


def test_newer_schema_is_refused(db_path: Path) -> None:
    SQLiteTelemetryStore(f"sqlite:///{db_path}").close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE empathy_schema SET version = 99 WHERE component = 'telemetry'")
    with pytest.raises(StorageError, match="version 99, newer"):
        SQLiteTelemetryStore(f"sqlite:///{db_path}")


def test_text_file_is_refused_and_left_untouched(db_path: Path) -> None:
    db_path.write_text("my notes, not a database\n")
    with pytest.raises(StorageError) as err:
        SQLiteTelemetryStore(f"sqlite:///{db_path}")
    assert str(db_path) in str(err.value) and "not an SQLite database" in str(err.value)
    assert db_path.read_text() == "my notes, not a database\n"


def test_foreign_sqlite_database_is_refused_and_left_untouched(db_path: Path) -> None:
    with sqlite3.connect(db_path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
    before = db_path.read_bytes()
    with pytest.raises(StorageError, match=r"another application.*invoices"):
        SQLiteTelemetryStore(f"sqlite:///{db_path}")
    assert db_path.read_bytes() == before
    assert not Path(f"{db_path}-wal").exists()


def test_corrupt_database_is_one_storage_error(db_path: Path) -> None:
    SQLiteTelemetryStore(f"sqlite:///{db_path}").close()
    data = bytearray(db_path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    db_path.write_bytes(bytes(data))
    with pytest.raises(StorageError, match=str(db_path)):
        SQLiteTelemetryStore(f"sqlite:///{db_path}")


def test_invalid_urls_are_one_storage_error(tmp_path: Path) -> None:
    for url in ("sqlite://", "sqlite:///", "sqlite://host/db"):
        with pytest.raises(StorageError, match="invalid SQLite URL"):
            SQLiteTelemetryStore(url)
    with pytest.raises(StorageError, match="is a directory"):
        SQLiteTelemetryStore(f"sqlite:///{tmp_path}")


def test_prune_is_an_indexed_delete_and_leaves_rollups_equal_to_the_rows(db_path: Path) -> None:
    store = SQLiteTelemetryStore(f"sqlite:///{db_path}")
    records = [make_record(i) for i in range(300)]
    store.write_many(records)
    before = records[100].timestamp - timedelta(minutes=13)
    try:
        assert store.prune(before) == sum(r.timestamp < before for r in records)
    finally:
        store.close()
    with sqlite3.connect(db_path) as conn:
        plan = conn.execute("EXPLAIN QUERY PLAN DELETE FROM usage WHERE ts_us < 0").fetchall()
        assert any("usage_ts" in row[-1] for row in plan)
        for table, bucket_us in (("usage_hourly", HOUR_US), ("usage_daily", DAY_US)):
            stored = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            rebuilt = conn.execute(
                f"SELECT ts_us / {bucket_us} AS b, group_id, COUNT(*), SUM(cache_read_tokens > 0), "
                + ", ".join(f"SUM({c})" for c in SUM_COLUMNS)
                + " FROM usage GROUP BY b, group_id ORDER BY 1, 2"
            ).fetchall()
            assert stored == rebuilt
