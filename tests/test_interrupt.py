"""Ctrl-C during a workflow run: exit code 130, and the call in flight is recorded as cancelled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

SINK = """
import json
from empathy_core import BaseWorkflow, hookimpl


class Slow(BaseWorkflow):
    name = "slow"
    stages = ["ask"]

    async def run_stage(self, stage_name, tier, input_data):
        open({started!r}, "w").close()
        reply = await self._call_llm(tier, "sys", "take your time")
        return reply.text, 0, 0


@hookimpl
def empathy_register_workflows(register):
    register(Slow)


@hookimpl
def empathy_record_usage(record):
    with open({path!r}, "a") as handle:
        line = {{"stage": record.stage, "success": record.success, "error": record.error}}
        handle.write(json.dumps(line) + "\\n")
"""


def test_ctrl_c_exits_130_and_records_the_call_in_flight_as_cancelled(make_dist, empathy_cache_dir, tmp_path):
    records = tmp_path / "records.jsonl"
    started = tmp_path / "started"
    make_dist("empathy-filesink", "filesink", SINK.format(path=str(records), started=str(started)))
    config = tmp_path / "empathy.config.yml"
    config.write_text(
        "provider: mock\ntelemetry:\n  enabled: false\n"
        "plugins:\n  settings:\n    empathy-testing:\n      latency_ms: 30000\n",
        encoding="utf-8",
    )
    env = {**os.environ, "EMPATHY_CACHE_DIR": str(empathy_cache_dir), "EMPATHY_CONFIG": str(config)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "empathy_core", "workflow", "run", "slow"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    time.sleep(0.3)  # the stage is inside its 30 s LLM call now
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Interrupted." in stderr and "Traceback" not in stderr
    lines = [json.loads(line) for line in records.read_text(encoding="utf-8").splitlines()]
    assert lines and lines[-1]["success"] is False and lines[-1]["error"] == "cancelled", lines
