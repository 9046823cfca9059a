"""``empathy workflow runs|show|resume|submit`` and ``empathy worker`` as users run them, in a
subprocess, with a sample workflow plugin installed the way a third party installs one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from empathy_checkpoints.testing import install_sample_plugin


@pytest.fixture
def cli(empathy_cli: Any, tmp_path: Path) -> Any:
    """``cli(*args, env=None)``: ``empathy`` with the sample workflows on the mock provider."""
    site = install_sample_plugin(tmp_path / "site")

    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return empathy_cli(*args, env={**site, "COLUMNS": "200", **(env or {})})

    return run


def test_a_failed_run_is_listed_shown_and_resumed(cli):
    args = ("workflow", "run", "resumable", "--provider", "mock", "--input", '{"topic": "t"}', "--json")
    failed = cli(*args, env={"EMPATHY_TEST_FAIL_STAGE": "summarise"})
    assert failed.returncode == 1
    run_id = json.loads(failed.stdout)["run_id"]

    [listed] = json.loads(cli("workflow", "runs", "--status", "failed", "--json").ok())
    assert (listed["run_id"], listed["workflow"], listed["stages_done"]) == (run_id, "resumable", 2)
    assert json.loads(cli("workflow", "runs", "--status", "success", "--json").ok()) == []

    shown = json.loads(cli("workflow", "show", run_id, "--json").ok())
    assert [s["stage"] for s in shown["stages"]] == ["scan", "analyse"]
    assert shown["pending"] == ["summarise"] and "summarise broke" in shown["error"]
    table = cli("workflow", "show", run_id).ok()
    assert "scan" in table and "pending" in table and "mock-cheap" in table

    resumed = json.loads(cli("workflow", "resume", run_id, "--provider", "mock", "--json").ok())
    assert (resumed["run_id"], resumed["status"]) == (run_id, "success")
    assert [s["reason"].startswith("checkpoint:") for s in resumed["stages"]] == [True, True, False]
    assert "success" in cli("workflow", "runs").ok()
    error = cli("workflow", "resume", run_id).error_line(2)
    assert "already succeeded" in error


def test_mistakes_are_one_error_line_with_exit_code_2(cli):
    assert "no run 'feedbeef'" in cli("workflow", "show", "feedbeef").error_line(2)
    assert "invalid run id" in cli("workflow", "resume", "../../etc/passwd").error_line(2)
    assert "unknown workflow 'nope'" in cli("workflow", "submit", "nope").error_line(2)
    assert "invalid JSON" in cli("workflow", "submit", "resumable", "--input", "{").failed(2)
    assert "expected a JSON object" in cli("workflow", "submit", "resumable", "--input", "[1]").failed(2)
    assert "'done'" in cli("workflow", "runs", "--status", "done").failed(2)
    assert "--concurrency" in cli("worker", "--concurrency", "0").failed(2)


def test_an_unserialisable_stage_output_fails_the_run(cli):
    failed = cli("workflow", "run", "unserialisable", "--provider", "mock", "--json")
    assert failed.returncode == 1
    assert "cannot be checkpointed" in json.loads(failed.stdout)["error"]


def test_submitted_runs_are_run_by_a_worker(cli, tmp_path):
    (tmp_path / "empathy.config.yml").write_text("provider: mock\n")
    ids = [
        cli("workflow", "submit", "resumable", "--input", json.dumps({"topic": n})).ok().strip() for n in "ab"
    ]
    queued = json.loads(cli("workflow", "runs", "--status", "queued", "--json").ok())
    assert sorted(r["run_id"] for r in queued) == sorted(ids)
    out = cli("worker", "--concurrency", "2", "--max-runs", "2").ok()
    assert "2 run(s) finished" in out and out.count(" success") == 2
    done = json.loads(cli("workflow", "runs", "--status", "success", "--json").ok())
    assert sorted(r["run_id"] for r in done) == sorted(ids)
    assert all(r["stages_done"] == 3 and r["attempts"] == 1 and r["owner"] is None for r in done)
