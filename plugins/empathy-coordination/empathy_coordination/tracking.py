"""Workflow runs as agents: heartbeats, progress events and approval gates around stages.

A run is tracked when the workflow was built with ``enable_heartbeat_tracking=True`` or
``coordination.heartbeats`` is on: its agent (``<workflow>-<run_id>``) beats at the start,
around every stage (progress = finished stages / stages) and at the end, and the run
publishes ``workflow_started``, ``stage_started``, ``stage_finished`` / ``stage_skipped`` /
``stage_failed``, ``workflow_progress`` and ``workflow_finished``. A stage named in the workflow's
``approvals`` or in an ``approvals:`` rule waits for a human first; rejected or timed out,
it fails with :class:`~empathy_coordination.ApprovalDenied` and never runs. Every store
call runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from empathy_coordination.facade import safe_name
from empathy_core import EmpathyError, StageSkipped, StashKey

if TYPE_CHECKING:
    from empathy_coordination.events import EventStreamer
    from empathy_coordination.heartbeats import HeartbeatCoordinator
    from empathy_core import BaseWorkflow, Empathy, StageContext, WorkflowResult

MAX_ERROR = 2000
KEEP_ALIVE_FRACTION = 1 / 3
"""A running stage beats again every this fraction of the heartbeat ttl."""


def tracks(empathy: Empathy, workflow: BaseWorkflow) -> bool:
    """Whether runs of ``workflow`` beat and publish progress."""
    return bool(
        getattr(workflow, "enable_heartbeat_tracking", False) or empathy.config.coordination.heartbeats
    )


def agent_id_for(workflow: str, run_id: str) -> str:
    """The agent id of one run: ``<workflow>-<run_id>``, made safe for ``check_name``."""
    return safe_name(f"{safe_name(workflow, 'workflow')[:100]}-{run_id}", "workflow")


def approval_for(empathy: Empathy, workflow: BaseWorkflow, stage: str) -> tuple[str, float] | None:
    """``(approval_type, timeout)`` when ``stage`` waits for approval: an ``approvals:``
    rule first, else the workflow's ``approvals`` mapping; ``None`` when it does not."""
    rule = empathy.config.approval_rule(workflow.name, stage) if empathy.config.approvals else None
    if rule is not None:
        return rule.approval_type or safe_name(f"run_{stage}"), rule.timeout
    timeout = getattr(workflow, "approvals", {}).get(stage)
    return None if timeout is None else (safe_name(f"run_{stage}"), float(timeout))


def error_text(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, EmpathyError) else f"{type(exc).__name__}: {exc}"
    return text[:MAX_ERROR]


@attrs.define
class RunTracker:
    """One tracked run: its heartbeat, its events and how many stages finished."""

    workflow: str
    run_id: str
    total: int
    coordinator: HeartbeatCoordinator
    streamer: EventStreamer
    finished: int = 0

    @property
    def agent_id(self) -> str:
        return agent_id_for(self.workflow, self.run_id)

    @property
    def progress(self) -> float:
        return min(1.0, self.finished / self.total) if self.total else 1.0

    def publish(self, event_type: str, **data: Any) -> None:
        self.streamer.publish_event(event_type, {"workflow": self.workflow, "run_id": self.run_id, **data})

    def started(self, stages: list[str], input_keys: list[str]) -> None:
        self.coordinator.start_heartbeat(self.agent_id, {"workflow": self.workflow, "run_id": self.run_id})
        self.publish("workflow_started", agent_id=self.agent_id, stages=stages, input_keys=input_keys)

    def beat(self, stage: str, status: str = "running") -> None:
        self.coordinator.beat(status=status, progress=self.progress, current_stage=safe_name(stage, "stage"))

    def stage_started(self, stage: str, tier: str, status: str = "running") -> None:
        self.beat(stage, status)
        self.publish("stage_started", stage=stage, tier=tier)

    def stage_done(self, stage: str, outcome: dict[str, Any]) -> None:
        self.beat(stage)
        kind = "failed" if "error" in outcome else "skipped" if "skipped" in outcome else "finished"
        self.publish(f"stage_{kind}", stage=stage, **outcome)
        self.publish(
            "workflow_progress", stage=stage, progress=self.progress, finished=self.finished, total=self.total
        )

    def finished_run(self, result: WorkflowResult) -> None:
        stages = [{"name": s.name, "status": s.status, "cost": s.cost} for s in result.stages]
        final = {
            "cost": result.cost,
            "stages": stages,
            "error": result.error,
            "failed_stage": result.failed_stage,
        }
        self.coordinator.complete("success" if result.status == "success" else "failed", final)
        self.publish(
            "workflow_finished",
            agent_id=self.agent_id,
            status=result.status,
            cost=result.cost,
            duration_ms=result.duration_ms,
            stages=stages,
            error=result.error,
        )


RUNS: StashKey[dict[str, RunTracker]] = StashKey("empathy-coordination tracked runs")


def new_tracker(empathy: Empathy, workflow: BaseWorkflow, run_id: str) -> RunTracker:
    from empathy_coordination.events import EventStreamer
    from empathy_coordination.heartbeats import HeartbeatCoordinator

    tracker = RunTracker(
        workflow.name,
        run_id,
        len(workflow.stage_names()),
        HeartbeatCoordinator(enable_streaming=True, empathy=empathy),
        EventStreamer(empathy=empathy),
    )
    empathy.stash.setdefault(RUNS, {})[run_id] = tracker
    return tracker


async def workflow_started(
    empathy: Empathy, workflow: BaseWorkflow, run_id: str, input_data: dict[str, Any]
) -> RunTracker:
    tracker = new_tracker(empathy, workflow, run_id)
    await asyncio.to_thread(tracker.started, workflow.stage_names(), sorted(map(str, input_data)))
    return tracker


async def workflow_finished(empathy: Empathy, result: WorkflowResult) -> None:
    tracker = empathy.stash.setdefault(RUNS, {}).pop(result.run_id, None)
    if tracker is not None:
        await asyncio.to_thread(tracker.finished_run, result)


async def _keep_alive(tracker: RunTracker) -> None:
    interval = tracker.coordinator.ttl * KEEP_ALIVE_FRACTION
    while True:
        await asyncio.sleep(interval)
        await asyncio.to_thread(tracker.coordinator.touch)


async def _approve(empathy: Empathy, ctx: StageContext, approval: tuple[str, float]) -> None:
    from empathy_coordination.approvals import ApprovalDenied, ApprovalGate

    approval_type, timeout = approval
    gate = ApprovalGate(agent_id_for(ctx.workflow.name, ctx.run_id), empathy=empathy)
    context = {
        "workflow": ctx.workflow.name,
        "stage": ctx.stage,
        "run_id": ctx.run_id,
        "input_keys": sorted(map(str, ctx.input_data)),
    }
    response = await gate.request_approval_async(approval_type, context, timeout)
    if not response.approved:
        raise ApprovalDenied(approval_type, response)


Handler = Callable[[Any], Awaitable[Any]]


def stage_middleware(empathy: Empathy) -> Callable[[StageContext, Handler], Awaitable[Any]]:
    """The stage middleware: a pass-through unless the run is tracked or the stage is gated."""

    async def coordination_middleware(ctx: StageContext, call_next: Handler) -> Any:
        workflow = ctx.workflow
        tracked = tracks(empathy, workflow)
        approval = approval_for(empathy, workflow, ctx.stage)
        if not tracked and approval is None:
            return await call_next(ctx)
        if not tracked:
            assert approval is not None  # nosec B101 - one of the two holds
            await _approve(empathy, ctx, approval)
            return await call_next(ctx)
        return await _tracked_stage(empathy, ctx, call_next, approval)

    return coordination_middleware


async def _tracked_stage(
    empathy: Empathy, ctx: StageContext, call_next: Handler, approval: tuple[str, float] | None
) -> Any:
    tracker = empathy.stash.setdefault(RUNS, {}).get(ctx.run_id)
    if tracker is None:  # the run started before this plugin was added
        tracker = await workflow_started(empathy, ctx.workflow, ctx.run_id, ctx.input_data)
    status = "running" if approval is None else "awaiting_approval"
    await asyncio.to_thread(tracker.stage_started, ctx.stage, ctx.tier.value, status)
    keep_alive = asyncio.create_task(_keep_alive(tracker))
    try:
        if approval is not None:
            await _approve(empathy, ctx, approval)
            await asyncio.to_thread(tracker.beat, ctx.stage)
        output = await call_next(ctx)
    except StageSkipped as skip:
        tracker.finished += 1
        outcome = {"tier": ctx.tier.value, "skipped": error_text(skip)}
        await asyncio.to_thread(tracker.stage_done, ctx.stage, outcome)
        raise
    except Exception as exc:
        tracker.finished += 1
        with contextlib.suppress(EmpathyError):  # the stage's own error is the one to report
            await asyncio.to_thread(
                tracker.stage_done, ctx.stage, {"tier": ctx.tier.value, "error": error_text(exc)}
            )
        raise
    finally:
        keep_alive.cancel()
    tracker.finished += 1
    outcome = {"tier": ctx.tier.value, "cost": ctx.cost, "model": ctx.model}
    await asyncio.to_thread(tracker.stage_done, ctx.stage, outcome)
    return output
