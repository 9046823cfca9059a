"""Workflow runs through the plugin's middleware and lifecycle hooks: heartbeats, progress
events, approval gates, and a waiting run never blocking the event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, ClassVar

import pytest

from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator
from empathy_core import ApprovalRule, EmpathyConfig
from empathy_testing.sample_workflows import ThreeTierWorkflow

# a middleware or hook failing in its own code would be disabled and the run go on without it
pytestmark = pytest.mark.filterwarnings("error::empathy_core.PluginLoadWarning")

STAGE_EVENTS = (
    "workflow_started",
    "stage_started",
    "stage_finished",
    "stage_failed",
    "workflow_progress",
    "workflow_finished",
)


class Gated(ThreeTierWorkflow):
    """``analyse`` waits up to 30 s for approval; counts the stages that ran."""

    name = "gated"
    approvals: ClassVar[dict[str, float]] = {"analyse": 30.0}
    ran: ClassVar[list[str]] = []

    async def run_stage(self, stage_name: str, tier: Any, input_data: dict[str, Any]) -> Any:
        type(self).ran.append(stage_name)
        return await super().run_stage(stage_name, tier, input_data)


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    Gated.ran = []


def run_events(empathy: Any, run_id: str) -> list[Any]:
    events = EventStreamer(empathy=empathy).get_recent_events(count=1000)
    return [e for e in reversed(events) if e.event_type in STAGE_EVENTS and e.data.get("run_id") == run_id]


def answer_when_asked(
    empathy: Any, poll: Any, approved: bool, responder: str, reason: str
) -> tuple[threading.Thread, list[Any]]:
    """A started thread answering the first pending request, and the list it puts it in."""
    seen: list[Any] = []

    def answer_it() -> None:
        gate = ApprovalGate(empathy=empathy)
        [request] = poll(gate.get_pending_approvals, "pending approval")
        seen.append(request)
        assert gate.respond_to_approval(request.request_id, approved, responder, reason)

    thread = threading.Thread(target=answer_it)
    thread.start()
    return thread, seen


def test_a_tracked_run_leaves_a_completed_heartbeat_and_progress_events(backend, run_workflow):
    result = run_workflow(ThreeTierWorkflow, {"topic": "x"}, enable_heartbeat_tracking=True)
    assert result.status == "success"
    [beat] = HeartbeatCoordinator(empathy=backend).get_all_agents()
    assert beat.agent_id == f"three-tier-{result.run_id}"
    assert (beat.status, beat.progress, beat.current_stage) == ("success", 1.0, "summarise")
    assert beat.final_state["cost"] == pytest.approx(result.cost)
    assert [s["name"] for s in beat.final_state["stages"]] == ["scan", "analyse", "summarise"]

    events = run_events(backend, result.run_id)
    kinds = [(e.event_type, e.data.get("stage")) for e in events]
    assert kinds == [
        ("workflow_started", None),
        *[
            step
            for stage in ("scan", "analyse", "summarise")
            for step in (("stage_started", stage), ("stage_finished", stage), ("workflow_progress", stage))
        ],
        ("workflow_finished", None),
    ]
    progress = [e.data["progress"] for e in events if e.event_type == "workflow_progress"]
    assert progress == pytest.approx([1 / 3, 2 / 3, 1.0])
    assert events[-1].data["status"] == "success" and events[-1].data["cost"] == pytest.approx(result.cost)
    beats = EventStreamer(empathy=backend).get_recent_events("agent_heartbeat", count=1000)
    assert beats and all(e.data["agent_id"] == beat.agent_id for e in beats)


def test_the_config_switch_tracks_every_run(empathy, run_workflow):
    from empathy_core import CoordinationConfig

    empathy.config = EmpathyConfig(provider="mock", coordination=CoordinationConfig(heartbeats=True))
    import empathy_coordination.plugin
    import empathy_sqlite.plugin

    empathy.plugins += [empathy_sqlite.plugin, empathy_coordination.plugin]
    result = run_workflow(ThreeTierWorkflow, {"topic": "x"})
    assert (
        HeartbeatCoordinator(empathy=empathy.get()).get_agent(f"three-tier-{result.run_id}").status
        == "success"
    )


def test_an_untracked_ungated_run_opens_no_store(coordination, run_workflow, monkeypatch):
    opened: list[str] = []
    original = coordination.open_backend

    def spy(role: Any, url: str | None = None) -> Any:
        opened.append(str(getattr(role, "value", role)))
        return original(role, url)

    monkeypatch.setattr(coordination, "open_backend", spy)
    assert run_workflow(ThreeTierWorkflow, {"topic": "x"}).status == "success"
    assert set(opened) <= {"telemetry"}  # the core's usage records; no coordination role


def test_an_approved_stage_runs(backend, run_workflow, poll):
    answering, _ = answer_when_asked(backend, poll, True, "alice", "fine")
    result = run_workflow(Gated, {"topic": "x"})
    answering.join()
    assert result.status == "success" and Gated.ran == ["scan", "analyse", "summarise"]


def test_a_rejected_stage_fails_with_the_reason_and_never_runs(backend, run_workflow, poll):
    answering, _ = answer_when_asked(backend, poll, False, "alice", "too risky")
    result = run_workflow(Gated, {"topic": "x"}, enable_heartbeat_tracking=True)
    answering.join()
    assert result.status == "failed" and result.failed_stage == "analyse"
    assert "approval run_analyse rejected by alice: too risky" in result.error
    assert Gated.ran == ["scan"]
    [failed] = [e for e in run_events(backend, result.run_id) if e.event_type == "stage_failed"]
    assert failed.data["stage"] == "analyse" and "too risky" in failed.data["error"]
    [beat] = HeartbeatCoordinator(empathy=backend).get_all_agents()
    assert beat.status == "failed" and beat.final_state["failed_stage"] == "analyse"


def test_an_unanswered_stage_times_out_failed_and_never_runs(backend, run_workflow):
    class Hurried(Gated):
        approvals: ClassVar[dict[str, float]] = {"analyse": 0.5}

    result = run_workflow(Hurried, {"topic": "x"})
    assert result.status == "failed" and result.failed_stage == "analyse"
    assert "approval run_analyse timed out after 0.5 s" in result.error
    assert Gated.ran == ["scan"]
    assert ApprovalGate(empathy=backend).get_pending_approvals() == []


def test_an_approvals_rule_in_the_config_gates_a_stage(empathy, run_workflow, poll):
    import empathy_coordination.plugin
    import empathy_sqlite.plugin

    rule = ApprovalRule(workflow="three-tier", stage="summarise", timeout=30, approval_type="publish_summary")
    empathy.config = EmpathyConfig(provider="mock", approvals=[rule])
    empathy.plugins += [empathy_sqlite.plugin, empathy_coordination.plugin]
    answering, seen = answer_when_asked(empathy.get(), poll, False, "bob", "not yet")
    result = run_workflow(ThreeTierWorkflow, {"topic": "x"})
    answering.join()
    [request] = seen
    assert (request.approval_type, request.context["stage"], request.context["run_id"]) == (
        "publish_summary",
        "summarise",
        result.run_id,
    )
    assert request.context["input_keys"] == ["analyse_text", "scan_text", "topic"]
    assert result.failed_stage == "summarise" and "approval publish_summary rejected by bob" in result.error


def test_a_run_waiting_for_approval_never_blocks_another_run(backend):
    async def both() -> tuple[Any, Any]:
        waiting = asyncio.create_task(Gated(empathy=backend, provider_name="mock").execute({"topic": "a"}))
        gate = ApprovalGate(empathy=backend)
        for _ in range(600):  # until the gated run asks (a hang guard of 30 s)
            if await asyncio.to_thread(gate.get_pending_approvals):
                break
            await asyncio.sleep(0.05)
        other = await ThreeTierWorkflow(empathy=backend, provider_name="mock").execute({"topic": "b"})
        assert not waiting.done()  # the other run finished on the same loop meanwhile
        [request] = await asyncio.to_thread(gate.get_pending_approvals)
        await asyncio.to_thread(gate.respond_to_approval, request.request_id, True, "carol")
        return other, await asyncio.wait_for(waiting, 30)

    other, gated = asyncio.run(both())
    assert other.status == "success" and gated.status == "success"
    assert Gated.ran == ["scan", "analyse", "summarise"]
