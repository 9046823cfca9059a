"""``BaseWorkflow`` and the async stage engine.

A workflow is a sequence of stages; a tuple of stage names in ``stages`` is a group whose
stages run concurrently. For each stage the engine asks ``empathy_select_route`` for the
tier and model, then runs the stage through the stage middleware chain around
:meth:`BaseWorkflow.run_stage`. Every LLM call made through :meth:`BaseWorkflow.call_llm`
goes through the LLM middleware chain, whose innermost link (telemetry) makes one
:class:`~empathy_core.records.UsageRecord` per attempt. Lifecycle hooks announce the run,
each finished stage and the result.
"""

from __future__ import annotations

import abc
import asyncio
import contextvars
import inspect
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from empathy_core.builtin import tier_map_route
from empathy_core.errors import EmpathyError
from empathy_core.middleware import LLMCallContext
from empathy_core.records import (
    LLMRequest,
    LLMResponse,
    ModelTier,
    RouteContext,
    RouteDecision,
    StageResult,
    WorkflowResult,
    new_run_id,
)

if TYPE_CHECKING:
    from empathy_core.config import EmpathyConfig
    from empathy_core.runtime import Empathy

StageOutput = tuple[Any, int, int]


class StageSkipped(Exception):
    """Raise from a stage to skip it: the stage ends ``skipped`` with ``reason`` and the run
    goes on (hooks and telemetry see ``skipped``, never a faked success).

    ``degraded=True`` says the stage should have run (no API key, a service down): the run
    then ends ``partial``, its ``error`` naming the skipped stages and why. A stage skipped
    because there was nothing to do keeps the run ``success``.
    """

    def __init__(self, reason: str, *, degraded: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.degraded = degraded


@attrs.define
class StageContext:
    """One stage as stage middleware sees it. ``route`` is the routing decision; ``cost``,
    ``calls`` and ``model`` accumulate over the stage's LLM calls."""

    workflow: BaseWorkflow
    stage: str
    tier: ModelTier
    input_data: dict[str, Any]
    run_id: str
    route: RouteDecision | None = None
    cost: float = 0.0
    calls: int = 0
    model: str | None = None
    state: dict[str, Any] = attrs.Factory(dict)

    @property
    def empathy(self) -> Empathy:
        return self.workflow.empathy


_current_stage: contextvars.ContextVar[StageContext | None] = contextvars.ContextVar(
    "empathy_current_stage", default=None
)


def current_stage() -> StageContext | None:
    """The stage running in this task, if any (concurrent stages each see their own)."""
    return _current_stage.get()


async def _run_stage(ctx: StageContext) -> StageOutput:
    """The innermost stage handler: the workflow's own ``run_stage``, result checked."""
    return _unpack(ctx.stage, await ctx.workflow.run_stage(ctx.stage, ctx.tier, ctx.input_data))


async def _complete(ctx: LLMCallContext) -> LLMResponse:
    """The innermost LLM handler: ask ``ctx.provider`` for ``ctx.model``."""
    ctx.attempt += 1
    request = ctx.request if ctx.request.model == ctx.model else attrs.evolve(ctx.request, model=ctx.model)
    response: LLMResponse = await ctx.provider.complete(request)
    return response


class BaseWorkflow(abc.ABC):
    """Base class for workflows made of tiered LLM stages.

    Subclasses set ``name``, ``description``, ``stages`` (names, or tuples of names that
    may run concurrently) and ``tier_map`` (stage -> tier, default ``default_tier``), and
    implement :meth:`run_stage`. ``max_cost`` / ``max_latency_ms`` are limits handed to
    the routing strategy. ``approvals`` (stage -> seconds to wait) names stages that wait
    for a human approval, like the ``approvals:`` config; ``enable_heartbeat_tracking``
    makes the run beat and publish progress events (both served by a coordination plugin).
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    stages: ClassVar[Sequence[str | tuple[str, ...]]] = ()
    tier_map: ClassVar[Mapping[str, ModelTier]] = {}
    default_tier: ClassVar[ModelTier] = ModelTier.CAPABLE
    approvals: ClassVar[Mapping[str, float]] = {}

    def __init__(
        self,
        *,
        empathy: Empathy | None = None,
        provider: Any = None,
        provider_name: str | None = None,
        user_id: str | None = None,
        enable_heartbeat_tracking: bool = False,
        enable_adaptive_routing: bool = False,
        max_cost: float | None = None,
        max_latency_ms: float | None = None,
    ) -> None:
        self._empathy = empathy
        self._provider = provider
        self._provider_name = provider_name
        self.user_id = user_id
        self.enable_heartbeat_tracking = enable_heartbeat_tracking
        self.enable_adaptive_routing = enable_adaptive_routing
        self.max_cost = max_cost
        self.max_latency_ms = max_latency_ms

    # -- wiring ----------------------------------------------------------------------

    @property
    def empathy(self) -> Empathy:
        """The runtime given at construction, else the process-wide one."""
        if self._empathy is None:
            from empathy_core.runtime import Empathy

            self._empathy = Empathy.current()
        return self._empathy

    @property
    def config(self) -> EmpathyConfig:
        return self.empathy.config

    @property
    def provider(self) -> Any:
        """The LLM provider: given, else ``provider_name``, else ``config.provider``."""
        if self._provider is None:
            self._provider = self.empathy.provider(self._provider_name)
        return self._provider

    # -- stages ----------------------------------------------------------------------

    @classmethod
    def stage_groups(cls) -> list[tuple[str, ...]]:
        """Stages in execution order, each group's stages running concurrently."""
        return [(s,) if isinstance(s, str) else tuple(s) for s in cls.stages]

    @classmethod
    def stage_names(cls) -> list[str]:
        """Every stage name, in order."""
        return [name for group in cls.stage_groups() for name in group]

    @classmethod
    def get_tier_for_stage(cls, stage: str) -> ModelTier:
        """The ``tier_map`` entry for ``stage``, else ``default_tier``."""
        return ModelTier.parse(cls.tier_map.get(stage, cls.default_tier))

    @abc.abstractmethod
    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> StageOutput:
        """Run one stage; return ``(output, tokens_in, tokens_out)``."""

    # -- LLM calls -------------------------------------------------------------------

    async def _call_llm(
        self,
        tier: ModelTier,
        system: str,
        user_message: str,
        *,
        cached_context: str = "",
        max_tokens: int = 1024,
        temperature: float | None = None,
        cache_ttl: str = "5m",
    ) -> LLMResponse:
        """The seeds' call: one user message on ``tier`` with a cacheable system prefix."""
        request = LLMRequest.from_text(
            user_message,
            system=system,
            cached_context=cached_context,
            max_tokens=max_tokens,
            temperature=temperature,
            cache_ttl=cache_ttl,
            tier=ModelTier.parse(tier),
        )
        return await self.call_llm(request)

    async def call_llm(self, request: LLMRequest) -> LLMResponse:
        """Send ``request`` through the LLM middleware chain to the provider.

        The model is ``request.model``, else the stage's routed model when the request is
        on the routed tier, else the provider's model for the request's tier.
        """
        provider = self.provider
        stage = current_stage()
        model = request.model
        if model is None and stage is not None and stage.route is not None and request.tier == stage.tier:
            model = stage.route.model
        ctx = LLMCallContext(
            empathy=self.empathy,
            request=request,
            model=model or provider.model_for(request.tier),
            provider=provider,
            workflow=self,
            stage=stage,
        )
        response: LLMResponse = await self.empathy.chain("empathy_llm_middleware", _complete)(ctx)
        return response

    # -- execution -------------------------------------------------------------------

    async def execute(
        self, input_data: Mapping[str, Any] | None = None, *, run_id: str | None = None
    ) -> WorkflowResult:
        """Run every stage; a failing stage ends the run with status ``failed`` (or the
        ``run_status`` of the :class:`~empathy_core.errors.EmpathyError` that stopped it,
        such as ``budget_exceeded``). A stage raising :class:`StageSkipped` is ``skipped``;
        a degraded skip makes a run that otherwise succeeded ``partial``. ``run_id`` (default:
        a new one) names the run in hooks, usage records and the result; a plugin resuming a
        stored run passes the stored id.

        Each stage's input is the workflow input updated with the outputs of the stages
        before it (dict outputs are merged, others stored under the stage name). Usage
        records are queued for the background writer; ``empathy.flush()`` waits for them
        (``UsageTracker`` reads, ``close()`` and process exit flush).
        """
        run_id = run_id or new_run_id()
        started = time.perf_counter()
        data: dict[str, Any] = dict(input_data or {})
        result = WorkflowResult(workflow=self.name, run_id=run_id, status="success")
        await self._announce("empathy_workflow_started", workflow=self, run_id=run_id, input_data=dict(data))
        for group in self.stage_groups():
            if len(group) == 1:  # no task for a lone stage: a task costs two extra loop turns
                outcomes = [await self._run_one(group[0], data, run_id)]
            else:
                outcomes = list(await asyncio.gather(*(self._run_one(name, data, run_id) for name in group)))
            result.stages.extend(outcomes)
            for outcome in outcomes:
                await self._announce("empathy_stage_finished", workflow=self, run_id=run_id, result=outcome)
            failed = next((o for o in outcomes if o.status not in ("success", "skipped")), None)
            if failed is not None:
                result.status = failed.status
                result.failed_stage = failed.name
                result.error = f"stage {failed.name!r} {_ended(failed.status)}: {failed.error}"
                break
            ran = [o for o in outcomes if o.status != "skipped"]  # a skipped stage adds nothing
            for outcome in ran:
                if isinstance(outcome.output, Mapping):
                    data.update(outcome.output)
                else:
                    data[outcome.name] = outcome.output
            if ran:
                result.output = ran[0].output if len(outcomes) == 1 else {o.name: o.output for o in ran}
        degraded = [s for s in result.stages if s.status == "skipped" and s.error]
        if degraded and result.status == "success":
            result.status, result.error = "partial", _skipped_because(degraded)
        result.cost = sum(s.cost for s in result.stages)
        result.tokens_in = sum(s.tokens_in for s in result.stages)
        result.tokens_out = sum(s.tokens_out for s in result.stages)
        result.duration_ms = (time.perf_counter() - started) * 1000
        await self._announce("empathy_workflow_finished", workflow=self, result=result)
        return result

    async def _announce(self, hook_name: str, **kwargs: Any) -> None:
        """Call a lifecycle hook, isolated, awaiting what implementations return."""
        pm = self.empathy.plugin_manager
        for plugin, outcome in pm.call(hook_name, empathy=self.empathy, **kwargs):
            if inspect.isawaitable(outcome):
                try:
                    await outcome
                except Exception as exc:
                    pm.fail(plugin, exc, during=hook_name)

    def route(self, stage: str, data: Mapping[str, Any], run_id: str) -> RouteDecision:
        """Where ``stage`` runs: ``empathy_select_route``'s answer (the tier map by default)."""
        context = RouteContext(
            workflow=self.name,
            stage=stage,
            tier=self.get_tier_for_stage(stage),
            run_id=run_id,
            input_data=dict(data),
            provider=self._provider_name or self.config.provider,
            adaptive=self.enable_adaptive_routing,
            max_cost=self.max_cost,
            max_latency_ms=self.max_latency_ms,
        )
        decision = self.empathy.call_first("empathy_select_route", context=context)
        if not isinstance(decision, RouteDecision):
            return tier_map_route(context)  # the engine's fallback plugin was disabled
        return decision

    async def _run_one(self, name: str, data: dict[str, Any], run_id: str) -> StageResult:
        started = time.perf_counter()
        ctx = StageContext(
            workflow=self,
            stage=name,
            tier=self.get_tier_for_stage(name),
            input_data=dict(data),
            run_id=run_id,
        )
        token = _current_stage.set(ctx)
        try:
            ctx.route = self.route(name, ctx.input_data, run_id)
            ctx.tier = ctx.route.tier
            output, tokens_in, tokens_out = await self.empathy.chain("empathy_stage_middleware", _run_stage)(
                ctx
            )
        except StageSkipped as skip:
            return StageResult(
                name=name,
                tier=ctx.tier,
                status="skipped",
                cost=ctx.cost,
                duration_ms=(time.perf_counter() - started) * 1000,
                error=skip.reason if skip.degraded else None,
                model=ctx.model,
                reason=skip.reason,
            )
        except Exception as exc:
            return StageResult(
                name=name,
                tier=ctx.tier,
                status=_failure_status(exc),
                cost=ctx.cost,
                duration_ms=(time.perf_counter() - started) * 1000,
                error=str(exc) if isinstance(exc, EmpathyError) else f"{type(exc).__name__}: {exc}",
                model=ctx.model,
                reason=ctx.route.reason if ctx.route else "",
            )
        finally:
            _current_stage.reset(token)
        return StageResult(
            name=name,
            tier=ctx.tier,
            status="success",
            output=output,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=ctx.cost,
            duration_ms=(time.perf_counter() - started) * 1000,
            model=ctx.model,
            reason=ctx.route.reason if ctx.route else "",
        )


def _failure_status(exc: BaseException) -> str:
    """``failed``, or the ``run_status`` an :class:`EmpathyError` subclass declares."""
    status = getattr(exc, "run_status", None) if isinstance(exc, EmpathyError) else None
    return status if isinstance(status, str) and status else "failed"


def _skipped_because(stages: Sequence[StageResult]) -> str:
    """``stages 'a', 'b' skipped: <reason>``, one clause per reason."""
    by_reason: dict[str, list[str]] = {}
    for stage in stages:
        by_reason.setdefault(stage.reason, []).append(repr(stage.name))
    return "; ".join(
        f"{'stage' if len(names) == 1 else 'stages'} {', '.join(names)} skipped: {reason}"
        for reason, names in by_reason.items()
    )


def _ended(status: str) -> str:
    return "failed" if status == "failed" else f"ended {status}"


def _unpack(stage: str, returned: Any) -> StageOutput:
    if (
        isinstance(returned, tuple)
        and len(returned) == 3
        and isinstance(returned[1], int)
        and isinstance(returned[2], int)
    ):
        return returned
    raise TypeError(
        f"run_stage({stage!r}) must return (output, tokens_in, tokens_out), got {type(returned).__name__}"
    )
