"""``BaseWorkflow`` and the async stage engine.

A workflow is a sequence of stages; a tuple of stage names in ``stages`` is a group whose
stages run concurrently. For each stage the engine asks ``empathy_select_tier`` for the
tier, then awaits what ``empathy_run_stage`` returns (the wrapper chain around
``run_stage``). Every LLM call made through :meth:`BaseWorkflow.call_llm` produces one
:class:`~empathy_core.records.UsageRecord` for ``empathy_record_usage``.
"""

from __future__ import annotations

import abc
import asyncio
import contextvars
import time
from collections.abc import Awaitable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from empathy_core.errors import EmpathyError, UnknownNameError
from empathy_core.records import (
    LLMRequest,
    LLMResponse,
    ModelTier,
    StageResult,
    Usage,
    UsageRecord,
    WorkflowResult,
    new_run_id,
)
from empathy_core.telemetry import protect

if TYPE_CHECKING:
    from empathy_core.config import EmpathyConfig
    from empathy_core.plugins import EmpathyPluginManager

StageOutput = tuple[Any, int, int]


@attrs.define
class StageContext:
    """Everything a ``empathy_run_stage`` implementation may look at for one stage."""

    workflow: BaseWorkflow
    stage: str
    tier: ModelTier
    input_data: dict[str, Any]
    run_id: str
    cost: float = 0.0
    calls: int = 0
    model: str | None = None

    def run(self) -> Awaitable[StageOutput]:
        """The innermost awaitable: the workflow's own ``run_stage``."""
        return self.workflow.run_stage(self.stage, self.tier, self.input_data)


_current_stage: contextvars.ContextVar[StageContext | None] = contextvars.ContextVar(
    "empathy_current_stage", default=None
)


def current_stage() -> StageContext | None:
    """The stage running in this task, if any (concurrent stages each see their own)."""
    return _current_stage.get()


class BaseWorkflow(abc.ABC):
    """Base class for workflows made of tiered LLM stages.

    Subclasses set ``name``, ``description``, ``stages`` (names, or tuples of names that
    may run concurrently) and ``tier_map`` (stage -> tier, default ``default_tier``), and
    implement :meth:`run_stage`.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    stages: ClassVar[Sequence[str | tuple[str, ...]]] = ()
    tier_map: ClassVar[Mapping[str, ModelTier]] = {}
    default_tier: ClassVar[ModelTier] = ModelTier.CAPABLE

    def __init__(
        self,
        *,
        plugin_manager: EmpathyPluginManager | None = None,
        provider: Any = None,
        provider_name: str | None = None,
        user_id: str | None = None,
        enable_heartbeat_tracking: bool = False,
        enable_adaptive_routing: bool = False,
    ) -> None:
        self._pm = plugin_manager
        self._provider = provider
        self._provider_name = provider_name
        self.user_id = user_id
        self.enable_heartbeat_tracking = enable_heartbeat_tracking
        self.enable_adaptive_routing = enable_adaptive_routing

    # -- wiring ----------------------------------------------------------------------

    @property
    def plugin_manager(self) -> EmpathyPluginManager:
        """The plugin manager given at construction, else the process-wide one."""
        if self._pm is None:
            from empathy_core.plugins import get_plugin_manager

            self._pm = get_plugin_manager()
        return self._pm

    @property
    def config(self) -> EmpathyConfig:
        return self.plugin_manager.config

    @property
    def provider(self) -> Any:
        """The LLM provider: given, else ``provider_name``, else ``config.provider``."""
        if self._provider is None:
            pm = self.plugin_manager
            name = self._provider_name or self.config.provider
            providers = pm.providers()
            if name not in providers:
                known = ", ".join(sorted(providers)) or "none installed"
                raise UnknownNameError(
                    f"unknown provider {name!r} (installed: {known}); set 'provider:' in "
                    f"empathy.config.yml or install the plugin that provides it"
                )
            owner = providers.owners[name]
            settings = pm.plugin_settings(owner) if owner in pm.settings_classes() else None
            self._provider = providers[name](self.config, settings)
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
        """Send ``request`` to the provider and record its usage, success or failure."""
        provider = self.provider
        ctx = current_stage()
        model = request.model or provider.model_for(request.tier)
        started = time.perf_counter()
        try:
            response = await provider.complete(request)
        except Exception as exc:
            self._record(ctx, request, model, Usage(), 0.0, started, error=exc)
            raise
        cost = self.config.price_table().cost(response.model, response.usage)
        self._record(ctx, request, response.model, response.usage, cost, started, response=response)
        return response

    def _record(
        self,
        ctx: StageContext | None,
        request: LLMRequest,
        model: str,
        usage: Usage,
        cost: float,
        started: float,
        *,
        response: LLMResponse | None = None,
        error: BaseException | None = None,
    ) -> None:
        telemetry = self.config.telemetry
        record = UsageRecord(
            workflow=self.name,
            stage=ctx.stage if ctx else "",
            tier=request.tier.value,
            provider=getattr(self.provider, "name", "unknown"),
            model=model,
            usage=usage,
            cost=cost,
            duration_ms=(time.perf_counter() - started) * 1000,
            success=error is None,
            error=None if error is None else f"{type(error).__name__}: {error}",
            request_id=(response.request_id if response else getattr(error, "request_id", None)),
            run_id=ctx.run_id if ctx else None,
            user_id=self.user_id,
            prompt=_prompt_text(request) if telemetry.store_prompts else None,
        )
        if ctx is not None:
            ctx.cost += cost
            ctx.calls += 1
            ctx.model = model
        self.plugin_manager.hook.empathy_record_usage(record=protect(record, self.config))

    # -- execution -------------------------------------------------------------------

    async def execute(self, input_data: Mapping[str, Any] | None = None) -> WorkflowResult:
        """Run every stage; a failing stage ends the run with status ``failed``.

        Each stage's input is the workflow input updated with the outputs of the stages
        before it (dict outputs are merged, others stored under the stage name).
        """
        run_id = new_run_id()
        started = time.perf_counter()
        data: dict[str, Any] = dict(input_data or {})
        result = WorkflowResult(workflow=self.name, run_id=run_id, status="success")
        for group in self.stage_groups():
            outcomes = await asyncio.gather(*(self._run_one(name, data, run_id) for name in group))
            result.stages.extend(outcomes)
            failed = next((o for o in outcomes if o.status == "failed"), None)
            if failed is not None:
                result.status = "failed"
                result.failed_stage = failed.name
                result.error = f"stage {failed.name!r} failed: {failed.error}"
                break
            for outcome in outcomes:
                if isinstance(outcome.output, Mapping):
                    data.update(outcome.output)
                else:
                    data[outcome.name] = outcome.output
            result.output = outcomes[0].output if len(outcomes) == 1 else {o.name: o.output for o in outcomes}
        result.cost = sum(s.cost for s in result.stages)
        result.tokens_in = sum(s.tokens_in for s in result.stages)
        result.tokens_out = sum(s.tokens_out for s in result.stages)
        result.duration_ms = (time.perf_counter() - started) * 1000
        return result

    async def _run_one(self, name: str, data: dict[str, Any], run_id: str) -> StageResult:
        pm = self.plugin_manager
        started = time.perf_counter()
        tier = self.get_tier_for_stage(name)
        ctx = StageContext(workflow=self, stage=name, tier=tier, input_data=dict(data), run_id=run_id)
        token = _current_stage.set(ctx)
        try:
            chosen = pm.hook.empathy_select_tier(
                workflow=self, stage=name, context={"input": ctx.input_data, "run_id": run_id}
            )
            ctx.tier = tier = ModelTier.parse(chosen) if chosen is not None else tier
            awaitable = pm.hook.empathy_run_stage(ctx=ctx)
            returned = await awaitable
            output, tokens_in, tokens_out = _unpack(name, returned)
        except Exception as exc:
            return StageResult(
                name=name,
                tier=tier,
                status="failed",
                cost=ctx.cost,
                duration_ms=(time.perf_counter() - started) * 1000,
                error=str(exc) if isinstance(exc, EmpathyError) else f"{type(exc).__name__}: {exc}",
                model=ctx.model,
            )
        finally:
            _current_stage.reset(token)
        return StageResult(
            name=name,
            tier=tier,
            status="success",
            output=output,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost=ctx.cost,
            duration_ms=(time.perf_counter() - started) * 1000,
            model=ctx.model,
        )


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


def _prompt_text(request: LLMRequest) -> str:
    parts = [request.system, request.cached_context]
    parts += [m["content"] for m in request.messages if isinstance(m.get("content"), str)]
    return "\n\n".join(p for p in parts if p)
