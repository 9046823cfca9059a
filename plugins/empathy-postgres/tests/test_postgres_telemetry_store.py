"""The PostgreSQL telemetry store against a real server (skipped when none is reachable).

Server: ``$EMPATHY_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
Every test works in its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from empathy_core import EmpathyConfig, StorageError, TelemetryConfig, group_records
from empathy_core.testing.store_conformance import (
    NOW,
    TelemetryStoreConformance,
    assert_same_groups,
    make_record,
)
from empathy_sql.rows import RECORD_COLUMNS, record_to_row

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed")

SERVER = os.environ.get("EMPATHY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _reachable() -> str | None:
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error as exc:
        return " ".join(str(exc).split())
    return None


_UNREACHABLE = _reachable()
pytestmark = pytest.mark.skipif(
    _UNREACHABLE is not None, reason=f"PostgreSQL at {SERVER} is unreachable: {_UNREACHABLE}"
)


@pytest.fixture
def schema() -> Iterator[str]:
    name = f"empathy_test_{uuid.uuid4().hex[:12]}"
    yield name
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def url_for(schema: str) -> str:
    return f"{SERVER}{'&' if '?' in SERVER else '?'}schema={schema}"


class TestPostgresConformance(TelemetryStoreConformance):
    @pytest.fixture
    def store_factory(self, schema: str) -> Iterator[Callable[[], object]]:
        from empathy_postgres.telemetry_store import PostgresTelemetryStore

        yield lambda: PostgresTelemetryStore(url_for(schema))


def test_schema_version_and_tables(schema: str) -> None:
    from empathy_postgres.telemetry_store import MIGRATIONS, PostgresTelemetryStore

    PostgresTelemetryStore(url_for(schema)).close()
    with psycopg.connect(SERVER) as conn:
        version = conn.execute(f"SELECT version FROM {schema}.empathy_schema WHERE component = 'telemetry'")
        assert version.fetchone() == (len(MIGRATIONS),)


def test_version_1_schema_is_migrated_and_its_rows_rolled_up(schema: str) -> None:
    from empathy_postgres.telemetry_store import MIGRATIONS, PostgresTelemetryStore

    records = [make_record(i) for i in range(60)]
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        conn.execute("CREATE TABLE empathy_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)")
        for statement in MIGRATIONS[0]:
            conn.execute(statement)
        conn.execute("INSERT INTO empathy_schema VALUES ('telemetry', 1)")
        marks = ", ".join(["%s"] * len(RECORD_COLUMNS))
        with conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO usage ({', '.join(RECORD_COLUMNS)}) VALUES ({marks})",
                [record_to_row(r) for r in records],
            )
    store = PostgresTelemetryStore(url_for(schema))
    try:
        assert_same_groups(store.stats(), group_records(records))
        since = NOW - timedelta(days=2, minutes=7)
        assert_same_groups(store.stats(since), group_records(r for r in records if r.timestamp >= since))
    finally:
        store.close()


def test_foreign_schema_is_refused_and_untouched(schema: str) -> None:
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"CREATE TABLE {schema}.invoices (id int)")
    with pytest.raises(StorageError, match=r"belongs to another application \(tables: invoices\)"):
        PostgresTelemetryStore(url_for(schema))
    with psycopg.connect(SERVER) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", (schema,)
        ).fetchall()
    assert rows == [("invoices",)]


def test_two_stores_on_one_schema_share_rows(schema: str) -> None:
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    first, second = PostgresTelemetryStore(url_for(schema)), PostgresTelemetryStore(url_for(schema))
    try:
        first.write_many(make_record(i) for i in range(10))
        second.write_many(make_record(i) for i in range(5, 15))
        assert first.count() == 15
    finally:
        first.close()
        second.close()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_both_schemes_open_through_the_runtime_and_receive_its_records(
    empathy: Any, schema: str, scheme: str
) -> None:
    import empathy_postgres.plugin as postgres_plugin
    from empathy_postgres.telemetry_store import PostgresTelemetryStore

    url = scheme + url_for(schema).removeprefix("postgresql")
    empathy.config = EmpathyConfig(telemetry=TelemetryConfig(store=url))
    runtime = empathy.add(postgres_plugin, name="postgres", dist="empathy-postgres")
    assert runtime.backends("telemetry")[scheme].factory is postgres_plugin.open_telemetry_store
    store = runtime.open_backend("telemetry")
    assert isinstance(store, PostgresTelemetryStore) and store.schema == schema
    assert runtime.open_backend("telemetry", url) is store
    records = [make_record(i, prompt="the secret code") for i in range(12)]
    for record in records:
        runtime.record_usage(record)
    assert runtime.flush(timeout=30)
    other = PostgresTelemetryStore(url_for(schema))
    try:
        stored = list(other.iter_records())
    finally:
        other.close()
    assert {r.record_id for r in stored} == {r.record_id for r in records}
    assert all(r.prompt is None for r in stored)
    assert_same_groups(group_records(stored), group_records(records))
    runtime.close()
    with pytest.raises(StorageError, match="is closed"):
        store.count()
