"""The plugin on the runtime: ``sqlite://`` opened through ``open_backend``, records written
through the runtime reach the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import EmpathyConfig, StorageError, TelemetryConfig
from empathy_core.testing.store_conformance import make_record
from empathy_sqlite.telemetry_store import SQLiteTelemetryStore
from empathy_testing.sample_workflows import ThreeTierWorkflow


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'usage.db'}"


@pytest.fixture
def runtime(empathy: Any, url: str) -> Any:
    empathy.config = EmpathyConfig(provider="mock", telemetry=TelemetryConfig(store=url))
    return empathy.add(sqlite_plugin, name="sqlite", dist="empathy-sqlite")


def test_the_scheme_is_registered_for_telemetry(runtime: Any) -> None:
    [entry] = [e for scheme, e in runtime.backends("telemetry").items() if scheme == "sqlite"]
    assert entry.factory is sqlite_plugin.open_telemetry_store
    assert entry.role.value == "telemetry"
    runtime.check_backend_url("telemetry", "sqlite:///x.db")  # no StorageError


def test_open_backend_opens_one_store_per_url_and_close_releases_it(runtime: Any, url: str) -> None:
    store = runtime.open_backend("telemetry")
    assert isinstance(store, SQLiteTelemetryStore)
    assert store.url == url
    assert runtime.open_backend("telemetry", url) is store
    runtime.close()
    with pytest.raises(StorageError, match="is closed"):
        store.count()


def test_records_through_the_runtime_reach_the_file_after_flush(runtime: Any, url: str) -> None:
    records = [make_record(i, prompt="the secret code") for i in range(1, 26)]
    for record in records:
        runtime.record_usage(record)
    assert runtime.flush(timeout=30)
    store = SQLiteTelemetryStore(url)  # another connection: the rows are committed
    try:
        stored = {r.record_id: r for r in store.iter_records()}
    finally:
        store.close()
    assert set(stored) == {r.record_id for r in records}
    assert all(r.prompt is None for r in stored.values())  # privacy applied before the store
    assert stored[records[0].record_id].cost == records[0].cost


def test_a_workflow_run_is_stored_when_execute_returns(runtime: Any, run_workflow: Any) -> None:
    result = run_workflow(ThreeTierWorkflow, {"topic": "auth.py"})
    assert result.succeeded, result.error
    store = runtime.open_backend("telemetry")
    assert store.count() == 3
    assert [r.stage for r in store.iter_records()] == ["scan", "analyse", "summarise"]


def test_entry_point_module_imports_neither_sqlite3_nor_the_store() -> None:
    heavy = ("sqlite3", "empathy_sqlite.telemetry_store", "empathy_sql")
    script = f"import sys, empathy_sqlite.plugin; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
