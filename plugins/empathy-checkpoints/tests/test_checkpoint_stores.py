"""The SQLite and PostgreSQL checkpoint stores pass the ``checkpoints`` conformance suite."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from empathy_checkpoints.sqlite_store import SQLiteCheckpointStore
from empathy_core import StorageError
from empathy_core.testing.checkpoint_conformance import CheckpointStoreConformance


class TestSQLiteCheckpoints(CheckpointStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[[], object]]:
        yield lambda: SQLiteCheckpointStore(f"sqlite:///{tmp_path}/runs.db")


class TestPostgresCheckpoints(CheckpointStoreConformance):
    @pytest.fixture
    def store_factory(self, postgres_url: str) -> Iterator[Callable[[], object]]:
        from empathy_checkpoints.postgres_store import PostgresCheckpointStore

        yield lambda: PostgresCheckpointStore(postgres_url)


def test_a_foreign_sqlite_file_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"not a database at all" * 10)
    with pytest.raises(StorageError, match="not an SQLite database"):
        SQLiteCheckpointStore(f"sqlite:///{path}")
    assert path.read_bytes() == b"not a database at all" * 10


def test_a_closed_store_says_so(tmp_path: Path) -> None:
    store = SQLiteCheckpointStore(f"sqlite:///{tmp_path}/runs.db")
    store.close()
    with pytest.raises(StorageError, match=r"checkpoints store .* is closed"):
        store.get_run("run-1")


class TestRedisCheckpoints(CheckpointStoreConformance):
    @pytest.fixture
    def store_factory(self) -> Iterator[Callable[[], object]]:
        testing = pytest.importorskip("empathy_redis.testing", reason="empathy-redis is not installed")
        url = testing.require_redis()
        from empathy_checkpoints.redis_store import RedisCheckpointStore
        from empathy_redis.settings import RedisSettings

        with testing.redis_prefix(url) as prefix:
            yield lambda: RedisCheckpointStore(url, RedisSettings(key_prefix=prefix))
