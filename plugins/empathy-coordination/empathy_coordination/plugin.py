"""Entry-point module: the coordination stage middleware, the run lifecycle hooks and the
``agents``, ``approvals``, ``events`` and ``signals`` command groups (imported on use)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import hookimpl

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from empathy_core import BaseWorkflow, Empathy, WorkflowResult

GROUPS = {
    "agents": "Agents' heartbeats: list them or watch them live.",
    "approvals": "Human approval gates: list pending requests, approve or reject them.",
    "events": "The coordination event stream.",
    "signals": "Signals between agents: send and list them.",
}


@hookimpl
def empathy_stage_middleware(empathy: Empathy) -> Any:
    from empathy_coordination.tracking import stage_middleware

    return stage_middleware(empathy)


@hookimpl
def empathy_workflow_started(
    empathy: Empathy, workflow: BaseWorkflow, run_id: str, input_data: dict[str, Any]
) -> Awaitable[Any] | None:
    from empathy_coordination.tracking import tracks, workflow_started

    return workflow_started(empathy, workflow, run_id, input_data) if tracks(empathy, workflow) else None


@hookimpl
def empathy_workflow_finished(
    empathy: Empathy, workflow: BaseWorkflow, result: WorkflowResult
) -> Awaitable[None] | None:
    from empathy_coordination.tracking import tracks, workflow_finished

    return workflow_finished(empathy, result) if tracks(empathy, workflow) else None


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_coordination import commands
    from empathy_core import get_or_create_group

    for name, help_text in GROUPS.items():
        group = get_or_create_group(cli, name, help=help_text)
        for command in commands.COMMANDS[name]:
            group.add_command(command)
