"""``empathy agents|approvals|events|signals`` in a subprocess, against the store the test's
runtime uses, and an approval answered across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator

IMPORTTIME = {"PYTHONPROFILEIMPORTTIME": "1"}


@pytest.fixture
def config_env(backend: Any, tmp_path: Path) -> dict[str, str]:
    """The environment making a subprocess use the same store as ``backend``."""
    env = {"COLUMNS": "200"}
    store = backend.config.coordination.store
    if store:  # Redis: the URL and the test's key prefix
        prefix = backend.config.plugins.settings["empathy-redis"]["key_prefix"]
        path = tmp_path / "empathy.config.yml"
        settings = f"plugins:\n  settings:\n    empathy-redis:\n      key_prefix: {prefix}\n"
        path.write_text(f"coordination:\n  store: {store}\n{settings}")
        env["EMPATHY_CONFIG"] = str(path)
    return env


@pytest.fixture
def cmd(empathy_cli: Any, config_env: dict[str, str]) -> Any:
    def run(*args: str, env: dict[str, str] | None = None) -> Any:
        return empathy_cli(*args, env={**config_env, **(env or {})}, timeout=120)

    return run


def pending_ids(cmd: Any) -> list[str]:
    return [r["request_id"] for r in json.loads(cmd("approvals", "list", "--json").ok())]


REQUESTER = textwrap.dedent(
    """
    import json
    from empathy_coordination import ApprovalGate

    gate = ApprovalGate(agent_id="deployment-workflow")
    approval = gate.request_approval(
        approval_type="deploy_to_production", context={"version": "2.0.0"}, timeout=60.0
    )
    print(json.dumps({k: getattr(approval, k) for k in ("approved", "responder", "reason")}))
    """
)


def test_an_approval_requested_in_another_process_is_answered_from_the_cli(
    cmd, config_env, empathy_cache_dir, poll
):
    env = {**os.environ, **config_env, "EMPATHY_CACHE_DIR": str(empathy_cache_dir)}
    requester = subprocess.Popen(
        [sys.executable, "-c", REQUESTER], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        [request_id] = poll(lambda: pending_ids(cmd), "pending request from the subprocess", timeout=60)
        listed = cmd("approvals", "list").ok()
        assert "deploy_to_production" in listed and "deployment-workflow" in listed
        answer = cmd(
            "approvals", "approve", request_id, "--reason", "ship it", "--responder", "ops@example.com"
        )
        assert answer.ok().strip() == f"approved {request_id}"
        out, err = requester.communicate(timeout=60)
    finally:
        requester.kill()
    assert requester.returncode == 0, err
    assert json.loads(out) == {"approved": True, "responder": "ops@example.com", "reason": "ship it"}
    assert pending_ids(cmd) == []
    again = cmd("approvals", "reject", request_id, "--reason", "changed my mind").failed(1)
    assert "already approved by ops@example.com" in again


def test_rejecting_from_the_cli(backend, cmd, poll):
    seen: list[Any] = []
    waiting = threading.Thread(
        target=lambda: seen.append(
            ApprovalGate("deployer", empathy=backend).request_approval("deploy", timeout=60)
        )
    )
    waiting.start()
    [request_id] = poll(lambda: pending_ids(cmd), "pending request")
    assert "Missing option '--reason'" in cmd("approvals", "reject", request_id).failed(2)
    cmd("approvals", "reject", request_id, "--reason", "too risky", "--responder", "bob").ok()
    waiting.join(60)
    [response] = seen
    assert (response.approved, response.responder, response.reason) == (False, "bob", "too risky")


def test_bad_approval_ids_are_one_error_line(cmd):
    assert "request_id" in cmd("approvals", "approve", "../etc/passwd").error_line(2)
    assert "unknown approval request 'abc123'" in cmd("approvals", "approve", "abc123").error_line(2)


def test_signals_send_and_list(backend, cmd):
    sent = cmd(
        "signals",
        "send",
        "task_assigned",
        "--to",
        "worker-1",
        "--payload",
        '{"task_id": "t1"}',
        "--from",
        "boss",
    )
    assert "to worker-1" in sent.ok()
    cmd("signals", "send", "shutdown_requested").ok()
    listed = json.loads(cmd("signals", "list", "--agent", "worker-1", "--json").ok())
    assert [(s["signal_type"], s["source_agent"], s["payload"]) for s in listed] == [
        ("task_assigned", "boss", {"task_id": "t1"}),
        ("shutdown_requested", "anonymous", {}),
    ]
    only = json.loads(cmd("signals", "list", "--type", "shutdown_requested", "--json").ok())
    assert [s["target_agent"] for s in only] == [None]
    assert "task_assigned" in cmd("signals", "list").ok()
    streamed = EventStreamer(empathy=backend).get_recent_events("coordination_signal")
    assert [e.data["signal_type"] for e in streamed] == ["shutdown_requested", "task_assigned"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--payload", "{not json"), "--payload is not JSON"),
        (("--payload", "[1, 2]"), "--payload must be a JSON object"),
        (("--payload", '{"x": NaN}'), "payload is not JSON"),
        (("--to", "a b"), "target_agent"),
        (("--from", "../x"), "agent_id"),
    ],
)
def test_bad_signals_are_one_error_line_and_nothing_is_stored(backend, cmd, args, message):
    assert message in cmd("signals", "send", "hello", *args).error_line(2)
    assert "invalid signal_type" in cmd("signals", "send", "hel lo").error_line(2)
    assert json.loads(cmd("signals", "list", "--json").ok()) == []
    assert EventStreamer(empathy=backend).get_recent_events() == []


def test_agents_list_and_watch(backend, cmd):
    coordinator = HeartbeatCoordinator(empathy=backend)
    coordinator.start_heartbeat("builder-7")
    coordinator.beat(progress=0.25, current_stage="compile")
    HeartbeatCoordinator(empathy=backend, ttl=0.5).start_heartbeat("gone-quiet")
    time.sleep(0.6)  # silent past its ttl, kept for ten
    [listed] = [a for a in json.loads(cmd("agents", "list", "--json").ok()) if a["agent_id"] == "builder-7"]
    assert (listed["status"], listed["progress"], listed["stale"]) == ("running", 0.25, False)
    stale = json.loads(cmd("agents", "list", "--stale", "--json").ok())
    assert [a["agent_id"] for a in stale] == ["gone-quiet"]
    table = cmd("agents", "list").ok()
    assert "builder-7" in table and "compile" in table and "25%" in table and "stale" in table
    EventStreamer(empathy=backend).publish_event("deploy_started", {"version": "2.0.0"})
    frame = cmd("agents", "watch", "--once").ok()
    assert "builder-7" in frame and "deploy_started" in frame and "Latest signals" in frame
    assert "--interval" in cmd("agents", "watch", "--interval", "0", "--once").error_line(2)


def test_events_tail(backend, cmd):
    streamer = EventStreamer(empathy=backend)
    for n in range(5):
        streamer.publish_event("tick", {"n": n})
    streamer.publish_event("tock", {"n": 99})
    lines = cmd("events", "tail", "--type", "tick", "--count", "3").ok().splitlines()
    assert [json.loads(line.split(" ", 3)[3])["n"] for line in lines] == [2, 3, 4]
    assert cmd("events", "tail").ok().splitlines()[-1].endswith('tock {"n": 99}')
    assert "invalid event_type" in cmd("events", "tail", "--type", "a*").error_line(2)


def test_help_imports_no_command_module(cmd):
    cold = cmd("--help")
    assert "approvals" in cold.ok() and "signals" in cold.stdout
    warm = cmd("--help", env=IMPORTTIME)
    imported = {
        line.split("|")[-1].strip() for line in warm.stderr.splitlines() if line.startswith("import time:")
    }
    assert imported, "no import times recorded"
    assert not {m for m in imported if m.startswith("empathy_coordination")}
    assert "Human approval gates" in cmd("approvals", "--help").ok()
