"""kill -9 mid-stage, then resume: the finished stage is never called again (the fake
Anthropic server's request log), nothing stored is lost, the run ends successful."""

from __future__ import annotations

import json
import signal

from empathy_checkpoints.testing import by_stage, wait_for_file


def test_a_run_killed_mid_stage_resumes_from_its_last_finished_stage(fake_anthropic, spawn, cli, tmp_path):
    marker = tmp_path / "in-analyse"
    args = ("workflow", "run", "resumable", "--provider", "anthropic", "--input", '{"topic": "kill"}')
    env = {**fake_anthropic.env(), "EMPATHY_TEST_BLOCK_STAGE": "analyse", "EMPATHY_TEST_MARKER": str(marker)}
    victim = spawn(*args, env=env)
    wait_for_file(marker, victim)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    code, out, _ = cli("workflow", "runs", "--status", "running", "--json")
    [run] = json.loads(out)
    assert (code, run["workflow"], run["stages_done"]) == (0, "resumable", 1)

    code, out, err = cli("workflow", "resume", run["run_id"], "--provider", "anthropic", "--json",
                         env=fake_anthropic.env())  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert (result["run_id"], result["status"]) == (run["run_id"], "success")
    paid = by_stage(fake_anthropic.received("/v1/messages"), status=200)
    # scan finished before the kill: paid once; analyse was in flight: its call is repeated
    assert paid == {"scan: kill": 1, "analyse: kill": 2, "summarise: kill": 1}

    code, out, _ = cli("workflow", "show", run["run_id"], "--json")
    shown = json.loads(out)
    assert [s["stage"] for s in shown["stages"]] == ["scan", "analyse", "summarise"]
    assert shown["status"] == "success" and shown["pending"] == []
    assert shown["cost"] > 0 and shown["calls"] == 3
