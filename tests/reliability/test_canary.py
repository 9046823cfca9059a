"""The API key never reaches a file: after checkpointed runs, a kill, a resume, a failed
run quoting the provider's error, queued runs run by a worker and the response cache, no
file under the test's directories holds the key."""

from __future__ import annotations

import json
import signal

from empathy_checkpoints.testing import wait_for_file

CANARY = "sk-ant-canary-durable-7c1e9a44d2"


def test_the_canary_key_is_written_nowhere(fake_anthropic, spawn, cli, tmp_path, empathy_cache_dir):
    (tmp_path / "empathy.config.yml").write_text(
        "provider: anthropic\nplugins:\n  settings:\n    empathy-checkpoints:\n      response_cache: true\n"
    )
    env = fake_anthropic.env(api_key=CANARY)
    run = ("workflow", "run", "resumable", "--input", '{"topic": "canary"}', "--json")
    marker = tmp_path / "in-summarise"
    blocking = {"EMPATHY_TEST_BLOCK_STAGE": "summarise", "EMPATHY_TEST_MARKER": str(marker)}
    victim = spawn(*run, env={**env, **blocking})
    wait_for_file(marker, victim)
    victim.send_signal(signal.SIGKILL)
    victim.communicate(timeout=30)
    [killed] = json.loads(cli("workflow", "runs", "--status", "running", "--json")[1])
    assert cli("workflow", "resume", killed["run_id"], env=env)[0] == 0
    assert json.loads(cli(*run, env=env)[1])["status"] == "success"  # answered from the cache

    fake_anthropic.fail_always(401)
    code, out, _ = cli("workflow", "run", "resumable", "--input", '{"topic": "denied"}', "--json", env=env)
    assert code == 1 and json.loads(out)["status"] == "failed"
    fake_anthropic.clear_faults()
    assert cli("workflow", "submit", "resumable", "--input", '{"topic": "queued"}', env=env)[0] == 0
    assert "1 run(s) finished" in cli("worker", "--max-runs", "1", env=env)[1]
    code, out, _ = cli("workflow", "show", killed["run_id"], "--json", env=env)
    assert code == 0 and CANARY not in out

    sent = fake_anthropic.received()
    assert sent and all(any(CANARY in v for v in r.headers.values()) for r in sent)  # the key was in use
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.endswith(".db") for p in written) and empathy_cache_dir.exists()
    holders = [str(p) for p in written if CANARY.encode() in p.read_bytes()]
    assert holders == []
