"""Checkpointed runs: the run lifecycle hooks, the stage middleware and resume.

When a run starts, its :class:`~empathy_core.RunRecord` is written (status ``running``,
the input as JSON). Each stage that finishes is serialised with cattrs and saved as a
:class:`~empathy_core.StageCheckpoint` before the stage returns, hence before the next
stage starts; an output that is not JSON fails the stage at once, on the first run. When
the run ends its status and error are written.

:func:`resume_run` runs a stored run again under its own id: stages with a checkpoint
are answered from it (no LLM call, $0, ``reason`` says so) and the others run. Every
store call runs in a worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from empathy_checkpoints.settings import CheckpointSettings
from empathy_core import (
    EmpathyError,
    RunRecord,
    StageCheckpoint,
    StashKey,
    StorageError,
    UnknownNameError,
    check_run_id,
    from_dict,
    to_dict,
    utcnow,
)

if TYPE_CHECKING:
    from empathy_core import BaseWorkflow, CheckpointStore, Empathy, StageContext, WorkflowResult

FALLBACK_URL = "sqlite:///checkpoints.db"
MAX_ERROR = 2000

Handler = Callable[[Any], Awaitable[Any]]


class CheckpointError(EmpathyError):
    """A run cannot be checkpointed or resumed (unserialisable output, unknown run...)."""


@attrs.define
class RunState:
    """One checkpointed run in this process, keyed by the engine's run id."""

    run_id: str
    store: CheckpointStore
    order: dict[str, int]
    done: dict[str, StageCheckpoint] = attrs.Factory(dict)
    error: EmpathyError | None = None
    reused: int = 0


RUNS: StashKey[dict[str, RunState]] = StashKey("empathy-checkpoints runs")
_RESUMING: contextvars.ContextVar[str | None] = contextvars.ContextVar("empathy_resuming", default=None)


def settings(empathy: Empathy) -> CheckpointSettings:
    found: CheckpointSettings = empathy.settings(CheckpointSettings)
    return found


def checkpoints(empathy: Empathy, workflow: BaseWorkflow) -> bool:
    """Whether runs of ``workflow`` are checkpointed."""
    return settings(empathy).enabled and getattr(workflow, "checkpoint", True) is not False


def store_url(empathy: Empathy) -> str:
    """``store`` from the settings, else the telemetry store's URL when a ``checkpoints``
    backend serves it, else :data:`FALLBACK_URL`."""
    configured = settings(empathy).store
    if configured:
        return configured
    url = empathy.backend_url("checkpoints")
    try:
        empathy.check_backend_url("checkpoints", url)
    except StorageError:
        return FALLBACK_URL
    return url


def open_store(empathy: Empathy) -> CheckpointStore:
    """The runtime's checkpoint store (opened once per runtime)."""
    store: CheckpointStore = empathy.open_backend("checkpoints", store_url(empathy))
    return store


def runs(empathy: Empathy) -> dict[str, RunState]:
    return empathy.stash.setdefault(RUNS, {})


# -- serialisation ---------------------------------------------------------------------


def to_json(value: Any, what: str) -> tuple[Any, str | None]:
    """``(JSON data, output_type)`` for ``value`` via cattrs; :class:`CheckpointError` naming
    ``what`` when it is not serialisable. ``output_type`` names an attrs class to rebuild."""
    try:
        data = to_dict(value)
        json.dumps(data, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CheckpointError(
            f"{what} cannot be checkpointed: {type(exc).__name__}: {exc}; return JSON data "
            "(dict, list, str, numbers) or attrs records, or set `checkpoint = False` on the workflow"
        ) from None
    kind = type(value)
    output_type = f"{kind.__module__}:{kind.__qualname__}" if attrs.has(kind) else None
    return json.loads(json.dumps(data)), output_type


def restore(checkpoint: StageCheckpoint) -> Any:
    """A checkpoint's output as the stage returned it (attrs records rebuilt by class)."""
    if checkpoint.output_type is None:
        return checkpoint.output
    module_name, _, qualname = checkpoint.output_type.partition(":")
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        return from_dict(target, checkpoint.output)
    except Exception as exc:
        raise CheckpointError(
            f"checkpoint of stage {checkpoint.stage!r} (run {checkpoint.run_id}) cannot be restored "
            f"as {checkpoint.output_type}: {type(exc).__name__}: {exc}"
        ) from None


# -- lifecycle ---------------------------------------------------------------------------


def _begin(empathy: Empathy, workflow: BaseWorkflow, run_id: str, input_data: dict[str, Any]) -> RunState:
    resuming = _RESUMING.get()
    durable = resuming or run_id
    order = {name: n for n, name in enumerate(workflow.stage_names())}
    try:
        store = open_store(empathy)
    except EmpathyError as exc:
        return RunState(durable, None, order, error=exc)  # type: ignore[arg-type]
    state = RunState(durable, store, order)
    try:
        if resuming:
            state.done = {c.stage: c for c in store.stages(durable)}
            store.set_status(durable, "running")
        else:
            data, _ = to_json(input_data, f"the input of run {durable} ({workflow.name})")
            store.create_run(RunRecord(durable, workflow.name, "running", data))
    except (EmpathyError, KeyError, ValueError) as exc:
        state.error = exc if isinstance(exc, EmpathyError) else CheckpointError(str(exc))
    return state


async def workflow_started(
    empathy: Empathy, workflow: BaseWorkflow, run_id: str, input_data: dict[str, Any]
) -> None:
    state = await asyncio.to_thread(_begin, empathy, workflow, run_id, input_data)
    runs(empathy)[run_id] = state


async def workflow_finished(empathy: Empathy, result: WorkflowResult) -> None:
    state = runs(empathy).pop(result.run_id, None)
    if state is None or state.store is None:
        return
    error = None if result.error is None else result.error[:MAX_ERROR]
    with contextlib.suppress(EmpathyError, KeyError):  # then the stages failed on it: the result says so
        await asyncio.to_thread(state.store.set_status, state.run_id, result.status, error)


# -- the stage middleware ----------------------------------------------------------------


def stage_middleware(empathy: Empathy) -> Callable[[StageContext, Handler], Awaitable[Any]]:
    """Answer finished stages from their checkpoint; checkpoint the others as they finish."""

    async def checkpoint_middleware(ctx: StageContext, call_next: Handler) -> Any:
        state = runs(empathy).get(ctx.run_id)
        if state is None:
            return await call_next(ctx)
        if state.error is not None:
            raise state.error
        done = state.done.get(ctx.stage)
        if done is not None:
            output = restore(done)
            ctx.model = done.model
            if ctx.route is not None:
                reason = f"checkpoint: finished in an earlier attempt of run {state.run_id}"
                ctx.route = attrs.evolve(ctx.route, reason=reason)
            state.reused += 1
            return output, 0, 0
        started = time.perf_counter()
        output, tokens_in, tokens_out = await call_next(ctx)
        data, output_type = to_json(output, f"the output of stage {ctx.stage!r} of {ctx.workflow.name!r}")
        checkpoint = StageCheckpoint(
            run_id=state.run_id,
            stage=ctx.stage,
            output=data,
            tier=ctx.tier.value,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=ctx.cost,
            calls=ctx.calls,
            model=ctx.model,
            duration_ms=(time.perf_counter() - started) * 1000,
            output_type=output_type,
            sequence=state.order.get(ctx.stage, len(state.order)),
        )
        try:
            await asyncio.to_thread(state.store.save_stage, checkpoint)
        except KeyError as exc:
            raise CheckpointError(f"run {state.run_id} is gone from the checkpoint store ({exc})") from None
        return output, tokens_in, tokens_out

    return checkpoint_middleware


# -- resume ------------------------------------------------------------------------------


def find_run(store: CheckpointStore, run_id: str) -> RunRecord:
    """The stored run ``run_id``; :class:`UnknownNameError` (exit code 2) when there is none."""
    try:
        check_run_id(run_id)
    except ValueError as exc:
        raise CheckpointError(str(exc), exit_code=2) from None
    run = store.get_run(run_id)
    if run is None:
        raise UnknownNameError(f"no run {run_id!r} in the checkpoint store {store.url}", exit_code=2)  # type: ignore[attr-defined]
    return run


async def resume_run(
    empathy: Empathy, run_id: str, *, provider_name: str | None = None, owner: str | None = None
) -> WorkflowResult:
    """Run stored run ``run_id`` to its end, answering finished stages from their checkpoints.

    The result carries ``run_id``. :class:`CheckpointError` (exit code 2) for a run that
    already succeeded, and (exit code 1) for one a worker other than ``owner`` holds a live
    lease on; :class:`UnknownNameError` for an unknown run or workflow.
    """
    store = await asyncio.to_thread(open_store, empathy)
    run = await asyncio.to_thread(find_run, store, run_id)
    if run.finished:
        message = f"run {run_id} ({run.workflow}) already succeeded; nothing to resume"
        raise CheckpointError(message, exit_code=2)
    if run.owner not in (None, owner) and run.lease_until is not None and run.lease_until > utcnow():
        until = run.lease_until.isoformat(timespec="seconds")
        raise CheckpointError(f"run {run_id} is being run by worker {run.owner} (lease until {until})")
    cls = empathy.workflow(run.workflow)
    token = _RESUMING.set(run.run_id)
    try:
        return await cls(empathy=empathy, provider_name=provider_name).execute(run.input, run_id=run.run_id)
    finally:
        _RESUMING.reset(token)
