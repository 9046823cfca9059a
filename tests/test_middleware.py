"""Stage and LLM middleware: short-circuit, retry, fallback, exception mapping, order, isolation."""

from __future__ import annotations

import gc
import threading
import warnings

import pytest

from empathy_core import (
    BaseWorkflow,
    EmpathyError,
    LLMResponse,
    ModelTier,
    ProviderError,
    Usage,
    hookimpl,
    parse_config,
)
from empathy_testing.sample_workflows import ThreeTierWorkflow


class OneCall(BaseWorkflow):
    """One CAPABLE stage making one LLM call; counts how often the stage body ran."""

    name = "one-call"
    stages = ["only"]
    runs = 0

    async def run_stage(self, stage_name, tier, input_data):
        type(self).runs += 1
        reply = await self._call_llm(tier, "sys", "hello")
        return {"text": reply.text, "model": reply.model}, reply.usage.input_tokens, reply.usage.output_tokens


MODELS = {ModelTier.CHEAP: "claude-haiku-4-5", ModelTier.CAPABLE: "claude-sonnet-4-6"}


class FlakyProvider:
    """Fails the first ``failures`` calls (any model in ``broken`` always fails)."""

    name = "flaky"

    def __init__(self, failures: int = 0, broken: tuple[str, ...] = ()) -> None:
        self.failures = failures
        self.broken = broken
        self.calls: list[str] = []

    def model_for(self, tier):
        return MODELS[ModelTier.parse(tier)]

    async def complete(self, request):
        self.calls.append(request.model)
        if len(self.calls) <= self.failures or request.model in self.broken:
            raise ProviderError(f"overloaded ({request.model})", status=529)
        return LLMResponse(text="fine", model=request.model, usage=Usage(10, 5), provider=self.name)


def named(name: str, obj):
    obj.__name__ = name
    return obj


def llm_middleware(name, mw):
    class LLMMiddleware:
        @hookimpl
        def empathy_llm_middleware(self, empathy):
            return mw

    return named(name, LLMMiddleware())


def stage_middleware(name, mw):
    class StageMiddleware:
        @hookimpl
        def empathy_stage_middleware(self, empathy):
            return mw

    return named(name, StageMiddleware())


@pytest.fixture(autouse=True)
def _reset_runs():
    OneCall.runs = 0


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_llm_cache_hit_short_circuits_without_calling_or_leaking(empathy, usage_records):
    provider = FlakyProvider()
    cached = LLMResponse(text="from cache", model="claude-sonnet-4-6", usage=Usage(), provider="cache")

    async def cache(ctx, call_next):
        return cached

    empathy.plugins.append(llm_middleware("cache", cache))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = empathy_run(empathy, OneCall, provider)
        gc.collect()  # a never-awaited coroutine would warn here
    assert result.succeeded, result.error
    assert result.output == {"text": "from cache", "model": "claude-sonnet-4-6"}
    assert provider.calls == []
    assert usage_records == []  # the short-circuit sits outside telemetry: nothing was called


def test_llm_retry_records_every_attempt(empathy, usage_records):
    provider = FlakyProvider(failures=2)

    async def retry(ctx, call_next):
        for attempt in range(3):
            try:
                return await call_next(ctx)
            except ProviderError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    empathy.plugins.append(llm_middleware("retry", retry))
    result = empathy_run(empathy, OneCall, provider)
    assert result.succeeded, result.error
    assert len(provider.calls) == 3
    assert [r.success for r in usage_records] == [False, False, True]
    assert [r.cost == 0 for r in usage_records] == [True, True, False]
    assert "overloaded" in usage_records[0].error
    assert result.stages[0].cost == usage_records[2].cost


def test_llm_fallback_to_another_model_records_both_and_says_who_answered(empathy, usage_records):
    provider = FlakyProvider(broken=("claude-sonnet-4-6",))

    async def fallback(ctx, call_next):
        try:
            return await call_next(ctx)
        except ProviderError:
            return await call_next(ctx.evolve(model="claude-haiku-4-5"))

    empathy.plugins.append(llm_middleware("fallback", fallback))
    result = empathy_run(empathy, OneCall, provider)
    assert result.succeeded, result.error
    assert provider.calls == ["claude-sonnet-4-6", "claude-haiku-4-5"]
    assert [(r.model, r.success) for r in usage_records] == [
        ("claude-sonnet-4-6", False),
        ("claude-haiku-4-5", True),
    ]
    assert result.stages[0].model == "claude-haiku-4-5"
    assert result.output["model"] == "claude-haiku-4-5"


class QuotaError(EmpathyError):
    """What the mapping middleware turns provider failures into."""


def test_llm_middleware_sees_and_maps_the_inner_exception(empathy, usage_records):
    provider = FlakyProvider(broken=("claude-sonnet-4-6",))
    seen = []

    async def mapper(ctx, call_next):
        try:
            return await call_next(ctx)
        except ProviderError as exc:
            seen.append(exc.status)
            raise QuotaError(f"quota exhausted after {ctx.attempt} attempt(s)") from exc

    empathy.plugins.append(llm_middleware("mapper", mapper))
    result = empathy_run(empathy, OneCall, provider)
    assert result.status == "failed"
    assert seen == [529]
    assert result.error == "stage 'only' failed: quota exhausted after 1 attempt(s)"
    assert empathy.infos["mapper"].status == "loaded"  # mapping is not a plugin failure
    assert [r.success for r in usage_records] == [False]


def test_stage_middleware_short_circuits_retries_and_catches(empathy):
    provider = FlakyProvider(failures=1)
    log = []

    async def cache(ctx, call_next):
        if ctx.input_data.get("cached"):
            return {"text": "cached"}, 0, 0
        return await call_next(ctx)

    async def retry(ctx, call_next):
        try:
            return await call_next(ctx)
        except ProviderError as exc:
            log.append(f"caught {exc.status}")
            return await call_next(ctx)

    empathy.plugins.extend([stage_middleware("cache", cache), stage_middleware("retry", retry)])
    assert empathy_run(empathy, OneCall, provider, {"cached": True}).output == {"text": "cached"}
    assert OneCall.runs == 0 and provider.calls == []
    result = empathy_run(empathy, OneCall, provider)
    assert result.succeeded, result.error
    assert log == ["caught 529"]
    assert OneCall.runs == 2


@pytest.mark.parametrize("order", [["outer", "inner"], ["inner", "outer"]])
def test_llm_middleware_order_comes_from_yaml(empathy, tmp_path, order):
    log = []

    def tracer(name):
        async def trace(ctx, call_next):
            log.append(f"{name}>")
            response = await call_next(ctx)
            log.append(f"<{name}")
            return response

        return llm_middleware(name, trace)

    empathy.plugins.extend([tracer("outer"), tracer("inner")])
    empathy.config = parse_config(
        f"hooks:\n  empathy_llm_middleware: [{', '.join(order)}]\n", tmp_path / "c.yml"
    )
    assert empathy_run(empathy, OneCall, FlakyProvider()).succeeded
    first, second = order
    assert log == [f"{first}>", f"{second}>", f"<{second}", f"<{first}"]


def test_a_middleware_failing_in_its_own_code_is_disabled_and_the_call_goes_on(empathy, usage_records):
    async def broken(ctx, call_next):
        return {}["missing"]

    empathy.plugins.append(llm_middleware("broken", broken))
    with pytest.warns(UserWarning, match=r"plugin 'broken' failed in empathy_llm_middleware: KeyError"):
        result = empathy_run(empathy, OneCall, FlakyProvider())
    assert result.succeeded, result.error
    assert empathy.infos["broken"].status == "failed"
    assert [r.success for r in usage_records] == [True]
    assert empathy_run(empathy, OneCall, FlakyProvider()).succeeded  # no second warning: it is gone


def test_a_failure_after_the_inner_call_keeps_its_result(empathy, usage_records):
    async def broken_after(ctx, call_next):
        response = await call_next(ctx)
        return response.missing_attribute

    empathy.plugins.append(stage_middleware("after", broken_after))
    with pytest.warns(UserWarning, match="plugin 'after' failed in empathy_stage_middleware"):
        result = empathy_run(empathy, OneCall, FlakyProvider())
    assert result.succeeded, result.error
    assert OneCall.runs == 1  # the stage ran once: its result was kept, not recomputed
    assert len(usage_records) == 1


def test_usage_records_reach_sinks_off_the_event_loop(empathy, run_workflow):
    threads = []

    class Sink:
        @hookimpl
        def empathy_record_usage(self, record):
            threads.append(threading.current_thread().name)

    empathy.plugins.append(Sink())
    assert run_workflow(ThreeTierWorkflow, {"topic": "x"}).succeeded
    assert threads == ["empathy-usage-writer"] * 3  # all delivered when execute returned


def empathy_run(empathy, cls, provider, data=None):
    import asyncio

    runtime = empathy.get()
    result = asyncio.run(cls(empathy=runtime, provider=provider).execute(data or {}))
    runtime.flush()
    return result
