"""The seeds' examples of every facade, ported by changing only the import, on each store."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

import pytest

from empathy_coordination import (
    ApprovalGate,
    CoordinationSignals,
    EventStreamer,
    HeartbeatCoordinator,
    ShortTermMemory,
    UnknownApprovalError,
)


def test_agent_tracking_seed_example(backend):
    coordinator = HeartbeatCoordinator(enable_streaming=True)
    coordinator.start_heartbeat(
        agent_id="my-agent-001", metadata={"workflow": "code-review", "run_id": "abc123"}
    )
    assert [a.agent_id for a in coordinator.get_active_agents()] == ["my-agent-001"]
    coordinator.beat(status="running", progress=0.5, current_stage="analysis")
    running = coordinator.get_agent("my-agent-001")
    assert (running.status, running.progress, running.current_stage) == ("running", 0.5, "analysis")
    coordinator.complete(status="success", final_state={"issues_found": 3})

    done = coordinator.get_agent("my-agent-001")
    assert done.finished and done.final_state == {"issues_found": 3} and done.progress == 1.0
    assert done.metadata == {"workflow": "code-review", "run_id": "abc123"}
    assert coordinator.get_active_agents() == [] and coordinator.get_stale_agents() == []
    beats = EventStreamer().get_recent_events("agent_heartbeat")
    assert [e.data["status"] for e in beats] == ["success", "running", "starting"]
    assert beats[1].data["progress"] == 0.5 and beats[1].data["current_stage"] == "analysis"
    assert beats[1].data["agent_id"] == "my-agent-001"


def test_a_silent_agent_is_stale_not_active(backend):
    coordinator = HeartbeatCoordinator(ttl=0.2)
    coordinator.start_heartbeat("quiet-agent")
    time.sleep(0.4)
    assert [a.agent_id for a in coordinator.get_stale_agents()] == ["quiet-agent"]
    assert coordinator.get_active_agents() == []
    coordinator.beat(progress=0.1)
    assert [a.agent_id for a in coordinator.get_active_agents()] == ["quiet-agent"]


def test_beat_before_start_is_an_error(backend):
    with pytest.raises(RuntimeError, match="start_heartbeat"):
        HeartbeatCoordinator().beat()


def test_inter_agent_coordination_seed_example(backend):
    signals = CoordinationSignals(agent_id="orchestrator", enable_streaming=True)
    signals.signal(
        signal_type="task_assigned", target_agent="worker-1", payload={"task_id": "t123", "priority": "high"}
    )
    signals.broadcast(signal_type="shutdown_requested", payload={"reason": "maintenance"})
    received = signals.get_signals(
        target_agent="worker-1", signal_types=["task_assigned"], since=datetime.now() - timedelta(minutes=5)
    )
    assert [(s.signal_type, s.source_agent, s.payload["task_id"]) for s in received] == [
        ("task_assigned", "orchestrator", "t123")
    ]
    worker_2 = CoordinationSignals(agent_id="worker-2")
    assert [s.signal_type for s in worker_2.get_signals()] == ["shutdown_requested"]
    assert worker_2.get_signals(since=datetime.now() + timedelta(minutes=1)) == []
    streamed = EventStreamer().get_recent_events("coordination_signal")
    assert [(e.data["signal_type"], e.data["target_agent"]) for e in streamed] == [
        ("shutdown_requested", None),
        ("task_assigned", "worker-1"),
    ]


def test_event_streaming_seed_example(backend):
    streamer = EventStreamer()
    consumer = streamer.consume_events(
        event_types=["agent_heartbeat", "workflow_progress"],
        block_ms=5000,  # 5 second timeout
        count=10,  # Max 10 events per batch
    )
    event_id = streamer.publish_event(
        event_type="workflow_progress",
        data={"workflow": "code-review", "stage": "analysis", "progress": 0.75},
    )
    streamer.publish_event("unrelated", {"n": 1})
    for event in consumer:
        assert (event.event_id, event.event_type, event.data["progress"]) == (
            event_id,
            "workflow_progress",
            0.75,
        )
        break
    streamer.publish_event("workflow_progress", {"progress": 1.0})
    recent = streamer.get_recent_events(event_type="workflow_progress", count=100)
    assert [e.data["progress"] for e in recent] == [1.0, 0.75]


def test_tails_fan_out_and_start_after_what_was_published(backend):
    streamer = EventStreamer()
    streamer.publish_event("tick", {"n": 0})
    first = streamer.consume_events(["tick"], block_ms=200, until_idle=True)
    second = streamer.consume_events(["tick"], block_ms=200, until_idle=True)
    for n in (1, 2):
        streamer.publish_event("tick", {"n": n})
    assert [e.data["n"] for e in first] == [1, 2]
    assert [e.data["n"] for e in second] == [1, 2]


def test_a_tail_wakes_for_an_event_published_while_it_waits(backend):
    streamer = EventStreamer()
    consumer = streamer.consume_events(["late"], block_ms=5000)
    timer = threading.Timer(0.2, streamer.publish_event, ("late", {"ok": True}))
    timer.start()
    try:
        assert next(consumer).data == {"ok": True}
    finally:
        timer.join()


def test_a_consumer_group_shares_events_and_acknowledges_them(backend):
    streamer = EventStreamer()
    one = streamer.consume_events(
        ["job"], block_ms=100, count=2, group="workers", consumer="one", until_idle=True
    )
    two = streamer.consume_events(
        ["job"], block_ms=100, count=2, group="workers", consumer="two", until_idle=True
    )
    for n in range(6):
        streamer.publish_event("job", {"n": n})
    seen = [next(one).data["n"], next(two).data["n"], next(one).data["n"], next(two).data["n"]]
    seen += [e.data["n"] for e in one] + [e.data["n"] for e in two]
    assert sorted(seen) == list(range(6))  # each event to exactly one consumer
    late = streamer.consume_events(
        ["job"], block_ms=100, group="workers", consumer="three", claim_idle_ms=1, until_idle=True
    )
    assert list(late) == []  # every event was acknowledged: nothing left to claim


def test_an_event_not_acknowledged_goes_to_another_consumer(backend):
    streamer = EventStreamer()
    crashed = streamer.consume_events(["job"], block_ms=100, group="g", consumer="crashed", until_idle=True)
    streamer.publish_event("job", {"n": 1})
    taken = next(crashed)  # handed out, never acknowledged (the loop never asks for the next)
    time.sleep(0.1)
    rescuer = streamer.consume_events(
        ["job"], block_ms=100, group="g", consumer="rescuer", claim_idle_ms=50, until_idle=True
    )
    assert [e.event_id for e in rescuer] == [taken.event_id]


def test_human_approval_gate_seed_example(backend, poll):
    gate = ApprovalGate(agent_id="deployment-workflow")
    ui_gate = ApprovalGate()

    def ui() -> None:
        pending = poll(ui_gate.get_pending_approvals, "pending approval")
        for request in pending:
            assert request.context["version"] == "2.0.0" and request.agent_id == "deployment-workflow"
            assert ui_gate.respond_to_approval(
                request_id=request.request_id,
                approved=True,
                responder="user@example.com",
                reason="Looks good to deploy",
            )

    responder = threading.Thread(target=ui)
    responder.start()
    approval = gate.request_approval(
        approval_type="deploy_to_production",
        context={"version": "2.0.0", "changes": ["feature-x", "bugfix-y"], "risk_level": "medium"},
        timeout=300.0,  # 5 minutes
    )
    responder.join()
    assert approval.approved and approval.responder == "user@example.com"
    assert approval.reason == "Looks good to deploy"
    assert ui_gate.get_pending_approvals() == []
    assert not ui_gate.respond_to_approval(approval.request_id, approved=False, reason="too late")
    resolved = EventStreamer().get_recent_events("approval_resolved")
    assert [(e.data["status"], e.data["responder"]) for e in resolved] == [("approved", "user@example.com")]
    [requested] = EventStreamer().get_recent_events("approval_requested")
    assert requested.data["approval_type"] == "deploy_to_production"


def test_an_unanswered_request_times_out_as_a_rejection(backend):
    gate = ApprovalGate(agent_id="deployment-workflow")
    approval = gate.request_approval("deploy_to_production", timeout=0.3)
    assert not approval.approved and approval.timed_out
    assert approval.reason == "timed out after 0.3 s"
    assert not gate.respond_to_approval(approval.request_id, approved=True, responder="late")
    assert gate.get_request(approval.request_id).status == "timeout"


def test_answering_an_unknown_request_is_a_clear_error(backend):
    with pytest.raises(UnknownApprovalError, match="unknown approval request 'nope'") as raised:
        ApprovalGate().respond_to_approval("nope", approved=True)
    assert isinstance(raised.value, KeyError)


def test_short_term_memory(backend):
    memory = ShortTermMemory("user-1", "planner")
    memory.stash("plan", {"steps": [1, 2]})
    memory.stash("draft", "text", ttl=0.2)
    assert memory.retrieve("plan") == {"steps": [1, 2]}
    assert memory.keys() == ["draft", "plan"]
    assert ShortTermMemory("user-1").retrieve("plan", default="none") == "none"
    assert ShortTermMemory("user-2", "planner").keys() == []
    time.sleep(0.4)
    assert memory.retrieve("draft") is None
    assert memory.forget("plan") and not memory.forget("plan")
    assert memory.keys() == []
