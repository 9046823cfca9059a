"""BatchProcessingWorkflow against the fake Anthropic server: results per task, errored and
expired requests, cost equal to the server's billed usage, collection after a restart."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from empathy_batch import BATCH_ELIGIBLE_TASKS, BatchProcessingWorkflow, BatchRequest, UnknownBatchError

REQUESTS = [
    BatchRequest("log_0", "analyze_logs", {"logs": "ERROR: Connection failed"}, "cheap"),
    BatchRequest("report_1", "generate_report", {"data": {"sales": [3, 5, 8]}}, "capable"),
    BatchRequest("broken_2", "summarize", {"text": "Fail please [[fake-error]]"}, "premium"),
    BatchRequest("late_3", "classify_text", {"text": "hi", "categories": ["a", "b"]}, "cheap"),
]


def billed(fake_anthropic: Any, recompute: Any, batch_id: str) -> float:
    """The cost of the batch's succeeded results, recomputed from the server's own replies."""
    total = 0.0
    for line in fake_anthropic.batches.results(batch_id):
        if line["result"]["type"] == "succeeded":
            message = line["result"]["message"]
            total += recompute(message["model"], message["usage"], batch=True)
    return total


def test_execute_batch_answers_every_task_and_bills_only_what_succeeded(
    runtime: Any, fake_anthropic: Any, usage_records: list[Any], recompute: Any
) -> None:
    fake_anthropic.batches.expired_ids.add("late_3")
    workflow = BatchProcessingWorkflow(empathy=runtime)
    results = asyncio.run(workflow.execute_batch(REQUESTS, poll_interval=0.01, timeout=30))

    assert [r.task_id for r in results] == ["log_0", "report_1", "broken_2", "late_3"]
    log, report, broken, late = results
    assert log.success and log.output is not None and log.output["content"]
    model_for = runtime.config.model_for
    assert (log.output["model"], report.output["model"]) == (model_for("cheap"), model_for("capable"))
    assert (broken.success, broken.result_type) == (False, "errored") and "fake error" in broken.error
    assert (late.success, late.result_type, late.cost) == (False, "expired", 0.0)

    [created] = fake_anthropic.received("/v1/messages/batches")
    sent = {item["custom_id"]: item["params"] for item in created.body["requests"]}
    prompt = sent["log_0"]["messages"][0]["content"]
    assert BATCH_ELIGIBLE_TASKS["analyze_logs"].instruction in json.dumps(prompt)
    assert "Connection failed" in json.dumps(prompt)

    runtime.flush()
    assert [(r.stage, r.success, r.batch) for r in usage_records] == [
        ("analyze_logs", True, True),
        ("generate_report", True, True),
        ("summarize", False, True),
        ("classify_text", False, True),
    ]
    total = sum(r.cost for r in results)
    assert total == pytest.approx(sum(r.cost for r in usage_records))
    [batch_id] = {r.request_id for r in usage_records}
    assert total == pytest.approx(billed(fake_anthropic, recompute, batch_id)) and total > 0
    assert workflow.pending_batches() == []


COLLECTOR = textwrap.dedent(
    """
    import asyncio, json, sys
    from empathy_batch import BatchProcessingWorkflow
    from empathy_core import Empathy

    empathy = Empathy.current()
    empathy.config.batch.poll_interval = 0.01
    results = asyncio.run(BatchProcessingWorkflow(empathy=empathy).collect(sys.argv[1]))
    print(json.dumps([[r.task_id, r.success, r.result_type] for r in results]))
    """
)


def test_a_batch_submitted_here_is_collected_by_another_process(
    runtime: Any, fake_anthropic: Any, usage_records: list[Any], empathy_cache_dir: Any
) -> None:
    fake_anthropic.batches.error_ids.add("report_1")
    workflow = BatchProcessingWorkflow(empathy=runtime)
    batch_id = asyncio.run(workflow.submit_batch(REQUESTS[:2]))
    assert workflow.pending_batches() == [batch_id]

    env = {**os.environ, "EMPATHY_CACHE_DIR": str(empathy_cache_dir), "EMPATHY_PROVIDER": "anthropic"}
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR, batch_id], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [["log_0", True, "succeeded"], ["report_1", False, "errored"]]
    assert workflow.pending_batches() == []

    again = asyncio.run(workflow.collect(batch_id, poll_interval=0.01))  # here, after the other process
    assert [r.task_id for r in again] == ["log_0", "report_1"]
    runtime.flush()
    assert usage_records == []  # the other process recorded the usage; a second collect does not


def test_collecting_a_batch_the_store_never_saw_is_a_clear_error(runtime: Any) -> None:
    with pytest.raises(UnknownBatchError, match="no batch msgbatch_nope in the store"):
        asyncio.run(BatchProcessingWorkflow(empathy=runtime).collect("msgbatch_nope"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"task_id": "a b"}, "task_id must be 1-64"),
        ({"task_type": "chat"}, "unknown task_type 'chat'; batch-eligible: analyze_logs"),
        ({"model_tier": "huge"}, "model_tier must be one of cheap, capable, premium"),
        ({"input_data": ["not", "a", "mapping"]}, "input_data must be a mapping"),
        ({"input_data": {"x": float("nan")}}, "input_data is not JSON"),
    ],
)
def test_a_bad_request_names_its_field(fields: dict[str, Any], message: str) -> None:
    values = {"task_id": "t1", "task_type": "summarize", "input_data": {"text": "x"}, **fields}
    with pytest.raises(ValueError, match=message):
        BatchRequest(**values)


def test_there_are_22_documented_task_types() -> None:
    assert len(BATCH_ELIGIBLE_TASKS) == 22
    assert all(task.description and task.instruction for task in BATCH_ELIGIBLE_TASKS.values())
