"""The SQLite checkpoint store on a full disk (every file of the process size-limited with
RLIMIT_FSIZE): runs fail with one clear error, the database stays intact, and once space
is back every interrupted run resumes to success."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import empathy_checkpoints.plugin as checkpoints_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_checkpoints.durable import open_store, resume_run
from empathy_checkpoints.testing import BulkyWorkflow, Workflows
from empathy_core import EmpathyConfig

RUNNER = Path(__file__).with_name("disk_full_runner.py")
LIMIT = 1024 * 1024
RUNS = 20


def test_a_full_disk_is_a_clear_error_and_corrupts_nothing(empathy_cache_dir, empathy):
    args = [sys.executable, str(RUNNER), str(LIMIT), str(RUNS)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(results) == RUNS
    ok = [r for r in results if r["status"] == "success"]
    full = [r for r in results if r["status"] != "success"]
    assert ok and full, results  # the disk filled up part-way
    for r in full:
        assert "database or disk is full" in r["error"] or "disk I/O error" in r["error"], r["error"]

    empathy.config = EmpathyConfig(provider="mock")
    empathy.plugins += [sqlite_plugin, Workflows(BulkyWorkflow)]
    runtime = empathy.get()
    runtime.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
    store = open_store(runtime)
    database = Path(store.url.removeprefix("sqlite:///"))
    assert database.parent == empathy_cache_dir and database.stat().st_size <= LIMIT
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    stored = {r["run_id"]: store.get_run(r["run_id"]) for r in results}
    for r in ok:
        assert stored[r["run_id"]].status == "success" and len(store.stages(r["run_id"])) == 3
    resumable = [run_id for run_id, run in stored.items() if run is not None and run.status != "success"]
    for run_id in resumable:
        assert asyncio.run(resume_run(runtime, run_id, provider_name="mock")).status == "success"
        assert len(store.stages(run_id)) == 3
    print(f"disk full: {len(ok)} runs stored, {len(full)} refused, {len(resumable)} resumed to success")
    # a run whose very first write found the disk full was never recorded: nothing half-written
    assert all(stored[r["run_id"]] is not None or "input of run" not in (r["error"] or "") for r in full)
