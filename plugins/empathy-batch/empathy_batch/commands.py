"""``empathy batch tasks|run|collect``: BatchProcessingWorkflow from the command line.

They join the ``batch`` group of ``empathy-anthropic``. Bad input (a batch file's line
and field, an unknown task type, an id with no state) exits 2 with one line; a failed
API call exits 1; ``run`` and ``collect`` exit 1 when any task did not succeed.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import click

from empathy_anthropic.commands import MAX_POLL_INTERVAL, MAX_WAIT, check_batch_id
from empathy_core import FiniteFloat, pass_empathy, to_dict

if TYPE_CHECKING:
    from empathy_batch.workflow import BatchTaskResult
    from empathy_core import Empathy

_poll = click.option(
    "--poll-interval",
    type=FiniteFloat(0, MAX_POLL_INTERVAL, "seconds", min_open=True),
    default=None,
    help="Seconds between polls, at least 1 in effect (default: batch.poll_interval).",
)
_timeout = click.option(
    "--timeout",
    type=FiniteFloat(0, MAX_WAIT, "seconds"),
    default=None,
    help="Seconds to wait (default: batch.timeout); then exit 1, the batch keeps running: collect it later.",
)
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _report(results: list[BatchTaskResult], batch_id: str, as_json: bool) -> None:
    succeeded = sum(r.success for r in results)
    cost = sum(r.cost for r in results)
    if as_json:
        rows = [to_dict(r) for r in results]
        click.echo(json.dumps({"batch_id": batch_id, "cost": cost, "results": rows}, indent=2))
    else:
        for r in results:
            shown = (r.output or {}).get("content", "") if r.success else r.error
            click.echo(f"{'ok ' if r.success else 'ERR'} {r.task_id} ({r.task_type}): {shown}")
        click.echo(f"{batch_id}: {succeeded}/{len(results)} succeeded, ${cost:.6f}")
    if succeeded < len(results):
        raise SystemExit(1)


@click.command("tasks")
@_json
def batch_tasks(as_json: bool) -> None:
    """The batch-eligible task types."""
    from empathy_batch.tasks import BATCH_ELIGIBLE_TASKS

    if as_json:
        described = {name: task.description for name, task in BATCH_ELIGIBLE_TASKS.items()}
        click.echo(json.dumps(described, indent=2))
        return
    for name, task in BATCH_ELIGIBLE_TASKS.items():
        click.echo(f"{name:<24} {task.description}")


@click.command("run")
@click.argument("batch_file", metavar="TASKS.json", type=click.Path(dir_okay=False))
@_poll
@_timeout
@_json
@pass_empathy
def batch_run(
    empathy: Empathy, batch_file: str, poll_interval: float | None, timeout: float | None, as_json: bool
) -> None:
    """Submit the tasks of TASKS.json as one batch, wait, and print each task's result.

    TASKS.json is a JSON list of {"task_id", "task_type", "input_data", "model_tier"?}.
    """
    from empathy_batch.requests import load_batch_file
    from empathy_batch.workflow import BatchProcessingWorkflow

    requests = load_batch_file(batch_file)
    workflow = BatchProcessingWorkflow(empathy=empathy)
    batch_id = asyncio.run(workflow.submit_batch(requests))
    click.echo(f"submitted {batch_id} ({len(requests)} tasks)", err=True)
    results = asyncio.run(workflow.collect(batch_id, poll_interval=poll_interval, timeout=timeout))
    _report(results, batch_id, as_json)


@click.command("collect")
@click.argument("batch_id")
@_poll
@_timeout
@_json
@pass_empathy
def batch_collect(
    empathy: Empathy, batch_id: str, poll_interval: float | None, timeout: float | None, as_json: bool
) -> None:
    """Wait for a batch submitted by 'batch run' (any process) and print its results."""
    from empathy_batch.workflow import BatchProcessingWorkflow

    workflow = BatchProcessingWorkflow(empathy=empathy)
    results = asyncio.run(
        workflow.collect(check_batch_id(batch_id), poll_interval=poll_interval, timeout=timeout)
    )
    _report(results, batch_id, as_json)


COMMANDS: list[Any] = [batch_tasks, batch_run, batch_collect]
