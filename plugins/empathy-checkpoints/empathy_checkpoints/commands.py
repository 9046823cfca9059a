"""``empathy workflow runs|show|resume|submit`` and ``empathy worker``: durable runs from the shell.

A malformed run id or input and an unknown run or workflow are one ``Error:`` line and
exit code 2; store problems are :class:`~empathy_core.StorageError` (one line, exit 1).
A resumed run that fails exits 1, like ``empathy workflow run``.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

import click

from empathy_core import (
    RUN_STATUSES,
    BoundedInt,
    FiniteFloat,
    input_errors,
    parse_input,
    pass_empathy,
    to_dict,
)

if TYPE_CHECKING:
    from empathy_core import Empathy

LIMIT = BoundedInt(1, 100_000, "runs")
CONCURRENCY = BoundedInt(1, 256, "runs at once")
SECONDS = FiniteFloat(0, 366 * 86400, "seconds")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.command("runs")
@click.option("--status", type=click.Choice(RUN_STATUSES), default=None, help="Only runs with this status.")
@click.option("--workflow", default=None, help="Only runs of this workflow.")
@click.option("--limit", type=LIMIT, default=50, show_default=True, help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
@input_errors
def list_runs(empathy: Empathy, status: str | None, workflow: str | None, limit: int, as_json: bool) -> None:
    """Checkpointed runs, newest first, with their stages done and cost so far."""
    from empathy_checkpoints.durable import open_store

    store = open_store(empathy)
    found = store.list_runs(status=status, workflow=workflow, limit=limit)
    summaries = [_summary(run, store.stages(run.run_id)) for run in found]
    if as_json:
        echo_json(summaries)
        return
    from empathy_checkpoints.render import console, runs_table

    console().print(runs_table(summaries))


def _summary(run: Any, stages: list[Any]) -> dict[str, Any]:
    return {
        **to_dict(run),
        "stages_done": len(stages),
        "cost": sum(c.cost for c in stages),
        "calls": sum(c.calls for c in stages),
    }


@click.command("show")
@click.argument("run_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_empathy
@input_errors
def show(empathy: Empathy, run_id: str, as_json: bool) -> None:
    """A run's stages: tier, model, tokens, cost and timing of each finished stage."""
    from empathy_checkpoints.durable import find_run, open_store

    store = open_store(empathy)
    run = find_run(store, run_id)
    stages = store.stages(run.run_id)
    pending = _pending(empathy, run.workflow, {c.stage for c in stages})
    if as_json:
        echo_json({**_summary(run, stages), "stages": [to_dict(c) for c in stages], "pending": pending})
        return
    from empathy_checkpoints.render import console, run_panel

    console().print(run_panel(_summary(run, stages), stages, pending))


def _pending(empathy: Empathy, workflow: str, done: set[str]) -> list[str]:
    """The workflow's stages without a checkpoint (empty when it is not installed)."""
    entry = empathy.workflows().get(workflow)
    return [] if entry is None else [s for s in entry.cls.stage_names() if s not in done]


@click.command("resume")
@click.argument("run_id")
@click.option("--provider", default=None, help="Provider name (default: config 'provider').")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
@pass_empathy
@input_errors
def resume(empathy: Empathy, ctx: click.Context, run_id: str, provider: str | None, as_json: bool) -> None:
    """Finish a failed or interrupted run; finished stages are not run (nor paid) again."""
    from empathy_checkpoints.durable import resume_run

    result = asyncio.run(resume_run(empathy, run_id, provider_name=provider))
    if as_json:
        echo_json(to_dict(result))
    else:
        from empathy_checkpoints.render import console, result_table

        console().print(result_table(result))
    if not result.succeeded:
        ctx.exit(1)


@click.command("submit")
@click.argument("name")
@click.option("--input", "input_", metavar="JSON|@FILE", help="Workflow input as JSON or @file.")
@click.option("--json", "as_json", is_flag=True, help="Print the queued run as JSON.")
@pass_empathy
@input_errors
def submit(empathy: Empathy, name: str, input_: str | None, as_json: bool) -> None:
    """Queue a run of workflow NAME for `empathy worker`; prints its run id."""
    from empathy_checkpoints.queue import submit as queue_run

    data = parse_input(input_)
    run = queue_run(empathy, name, data)
    if as_json:
        echo_json(to_dict(run))
    else:
        click.echo(run.run_id)


@click.command()
@click.option("--concurrency", type=CONCURRENCY, default=1, show_default=True, help="Runs at once.")
@click.option("--max-runs", type=LIMIT, default=None, help="Exit after this many runs finished.")
@click.option("--idle-exit", type=SECONDS, default=None, help="Exit after this long with nothing to run.")
@pass_empathy
@input_errors
def worker(empathy: Empathy, concurrency: int, max_runs: int | None, idle_exit: float | None) -> None:
    """Run queued workflow runs (`empathy workflow submit`); on Redis, workers on several
    machines share the queue, and a dead worker's run is finished by another."""
    from empathy_checkpoints.queue import Worker

    done = asyncio.run(Worker(empathy, concurrency, max_runs, idle_exit).serve())
    click.echo(f"{len(done)} run(s) finished: " + ", ".join(f"{r.run_id} {r.status}" for r in done))


WORKFLOW_COMMANDS = [list_runs, show, resume, submit]
"""Added to the core ``workflow`` group: ``workflow runs|show|resume|submit``."""
