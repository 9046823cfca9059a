"""``empathy batch tasks|run|collect`` as users run them: the real CLI against the fake server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from empathy_anthropic.batch_files import BatchInputError
from empathy_batch import load_batch_file

TASKS = [
    {"task_id": "log_0", "task_type": "analyze_logs", "input_data": {"logs": "ERROR: disk full"}},
    {"task_id": "notes_1", "task_type": "generate_release_notes", "input_data": {"changes": ["x"]},
     "model_tier": "cheap"},
]


@pytest.fixture
def cmd(empathy_cli: Any, fake_anthropic: Any, tmp_path: Path) -> Any:
    config = tmp_path / "empathy.config.yml"
    config.write_text("provider: anthropic\nbatch:\n  poll_interval: 1\n  timeout: 60\n")

    def run(*args: str) -> Any:
        return empathy_cli(*args, cwd=tmp_path, env={"EMPATHY_CONFIG": str(config)}, timeout=120)

    return run


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "tasks.json"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_tasks_lists_the_eligible_types(cmd: Any) -> None:
    listed = json.loads(cmd("batch", "tasks", "--json").ok())
    assert len(listed) == 22 and "analyze_logs" in listed


def test_run_submits_waits_and_prints_each_result(cmd: Any, tmp_path: Path, fake_anthropic: Any) -> None:
    out = json.loads(cmd("batch", "run", write(tmp_path, json.dumps(TASKS)), "--json").ok())
    assert [(r["task_id"], r["success"]) for r in out["results"]] == [("log_0", True), ("notes_1", True)]
    assert out["cost"] == pytest.approx(sum(r["cost"] for r in out["results"])) and out["cost"] > 0
    again = json.loads(cmd("batch", "collect", out["batch_id"], "--json").ok())
    assert again["results"] == out["results"]
    assert "submit" in cmd("batch", "--help").ok()  # empathy-anthropic's commands share the group


def test_a_failed_task_makes_run_exit_1(cmd: Any, tmp_path: Path, fake_anthropic: Any) -> None:
    fake_anthropic.batches.error_ids.add("log_0")
    done = cmd("batch", "run", write(tmp_path, json.dumps(TASKS)))
    assert done.returncode == 1
    assert "ERR log_0 (analyze_logs): errored:" in done.stdout and "1/2 succeeded" in done.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[\n  {"task_id": "a",\n   "task_type": "summarize", "input_data": {}},\n  {"task_id": "b" "x"}\n]',
         "line 4: invalid JSON: Expecting ',' delimiter"),
        ('[{"task_id": "a", "task_type": "summarize", "input_data": {}},\n {"task_id": "b", '
         '"task_type": "chat", "input_data": {}}]', "line 2: unknown task_type 'chat'"),
        ('[\n{"task_id": "a", "task_type": "summarize"}]', "line 2: missing field 'input_data'"),
        ('[{"task_id": "a", "task_type": "summarize", "input_data": {}, "tier": "cheap"}]',
         "line 1: unknown field 'tier'"),
        ('[{"task_id": "a", "task_type": "summarize", "input_data": {}},\n'
         ' {"task_id": "a", "task_type": "summarize", "input_data": {}}]',
         "line 2: task_id 'a' is used twice"),
        ("[]", "the list is empty"),
        ('{"task_id": "a"}', "expected a JSON list"),
    ],
)
def test_a_bad_batch_file_names_the_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BatchInputError, match=message) as err:
        load_batch_file(write(tmp_path, text))
    assert str(tmp_path / "tasks.json") in str(err.value)


def test_bad_input_on_the_command_line_exits_2_and_sends_nothing(
    cmd: Any, tmp_path: Path, fake_anthropic: Any
) -> None:
    assert "unknown task_type 'chat'" in cmd(
        "batch", "run", write(tmp_path, '[{"task_id": "a", "task_type": "chat", "input_data": {}}]')
    ).error_line(2)
    unknown = cmd("batch", "collect", "msgbatch_unknown").error_line(2)
    assert "no batch msgbatch_unknown in the store" in unknown
    assert "invalid batch id" in cmd("batch", "collect", "../etc").error_line(2)
    assert fake_anthropic.received("/v1/messages/batches") == []
