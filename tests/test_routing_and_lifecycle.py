"""The routing contract (strategies by name, the tier-map fallback) and the run lifecycle hooks."""

from __future__ import annotations

import asyncio

import pytest

from empathy_core import (
    BaseWorkflow,
    ConfigError,
    Empathy,
    EmpathyConfig,
    ModelTier,
    RouteContext,
    RouteDecision,
    StageSkipped,
    hookimpl,
    parse_config,
)
from empathy_testing.sample_workflows import ThreeTierWorkflow


class CheapestStrategy:
    """Every stage on CHEAP unless its cost limit is generous."""

    def __init__(self, empathy, settings):
        self.empathy = empathy
        self.contexts: list[RouteContext] = []

    def select(self, context):
        self.contexts.append(context)
        if context.stage == "summarise":
            return None  # defer: the tier map answers
        return RouteDecision(ModelTier.CHEAP, reason=f"cheapest under {context.max_cost}", confidence=0.4)


class Strategies:
    @hookimpl
    def empathy_register_router_strategies(self, register):
        register(name="cheapest", factory=CheapestStrategy)


def routed(tmp_path, enabled: bool) -> EmpathyConfig:
    return parse_config(
        f"adaptive_routing:\n  enabled: {str(enabled).lower()}\n  strategy: cheapest\n", tmp_path / "c.yml"
    )


def test_the_configured_strategy_routes_and_the_tier_map_answers_when_it_defers(
    empathy, usage_records, run_workflow, tmp_path
):
    empathy.config = routed(tmp_path, enabled=True)
    empathy.plugins.append(Strategies())
    result = run_workflow(ThreeTierWorkflow, {"topic": "x"})
    assert result.succeeded, result.error
    assert [s.tier for s in result.stages] == [ModelTier.CHEAP, ModelTier.CHEAP, ModelTier.PREMIUM]
    assert [r.model for r in usage_records] == ["mock-cheap", "mock-cheap", "mock-premium"]
    assert result.stages[0].reason == "cheapest under None"
    assert result.stages[2].reason == "the workflow's tier map"
    strategy = empathy.strategy()
    assert [c.stage for c in strategy.contexts] == ["scan", "analyse", "summarise"]
    assert strategy.contexts[1].tier is ModelTier.CAPABLE  # the workflow's own choice is in the context


def test_enable_adaptive_routing_turns_routing_on_for_one_workflow(empathy, tmp_path):
    empathy.config = routed(tmp_path, enabled=False)
    empathy.plugins.append(Strategies())
    runtime = empathy.get()
    plain = asyncio.run(ThreeTierWorkflow(empathy=runtime, provider_name="mock").execute({}))
    adaptive = ThreeTierWorkflow(
        empathy=runtime, provider_name="mock", enable_adaptive_routing=True, max_cost=0.01
    )
    routed_result = asyncio.run(adaptive.execute({}))
    assert plain.stages[1].tier is ModelTier.CAPABLE
    assert routed_result.stages[1].tier is ModelTier.CHEAP
    assert runtime.strategy().contexts[0].max_cost == 0.01


def test_an_unknown_strategy_is_a_located_config_error(tmp_path, empathy_cache_dir):
    config = routed(tmp_path, enabled=True)
    empathy = Empathy(config, entry_points=True)
    with pytest.raises(ConfigError, match=r"c\.yml:3: adaptive_routing\.strategy: unknown router strategy"):
        empathy.check_config()
    empathy.close()


def test_a_raising_strategy_is_disabled_and_the_tier_map_answers(empathy, run_workflow, tmp_path):
    class Broken:
        def __init__(self, empathy, settings):
            pass

        def select(self, context):
            raise ZeroDivisionError("bad maths")

    class BrokenStrategies:
        @hookimpl
        def empathy_register_router_strategies(self, register):
            register("cheapest", Broken)

    empathy.config = routed(tmp_path, enabled=True)
    empathy.plugins.append(BrokenStrategies())
    with pytest.warns(UserWarning, match=r"plugin 'BrokenStrategies' failed in router strategy select"):
        result = run_workflow(ThreeTierWorkflow, {"topic": "x"})
    assert result.succeeded, result.error
    assert [s.tier for s in result.stages] == [ModelTier.CHEAP, ModelTier.CAPABLE, ModelTier.PREMIUM]


def test_lifecycle_hooks_see_the_run_each_stage_and_the_result(empathy, run_workflow):
    events: list[tuple] = []

    class Listener:
        @hookimpl
        def empathy_workflow_started(self, workflow, run_id, input_data):
            events.append(("started", workflow.name, run_id, dict(input_data)))

        @hookimpl
        async def empathy_stage_finished(self, run_id, result):
            await asyncio.sleep(0)  # an async implementation is awaited before the next stage
            events.append(("stage", run_id, result.name, result.status, result.output))

        @hookimpl
        def empathy_workflow_finished(self, result):
            events.append(("finished", result.run_id, result.status, result.cost))

    empathy.plugins.append(Listener())
    result = run_workflow(ThreeTierWorkflow, {"topic": "t"})
    run_id = result.run_id
    assert events[0] == ("started", "three-tier", run_id, {"topic": "t"})
    assert [e[2] for e in events[1:4]] == ["scan", "analyse", "summarise"]
    assert all(e[1] == run_id and e[3] == "success" for e in events[1:4])
    assert events[1][4] == result.stages[0].output
    assert events[4] == ("finished", run_id, "success", result.cost)


def test_a_failing_stage_is_announced_and_a_raising_listener_is_disabled(empathy, run_workflow):
    seen = []

    class Fails(BaseWorkflow):
        name = "fails"
        stages = ["boom", "never"]

        async def run_stage(self, stage_name, tier, input_data):
            raise ValueError("no")

    class Listener:
        @hookimpl
        def empathy_stage_finished(self, result):
            seen.append((result.name, result.status, result.error))

    class Raises:
        @hookimpl
        async def empathy_workflow_finished(self, result):
            raise RuntimeError("listener bug")

    empathy.plugins.extend([Listener(), Raises()])
    with pytest.warns(UserWarning, match="plugin 'Raises' failed in empathy_workflow_finished"):
        result = run_workflow(Fails)
    assert result.status == "failed"
    assert seen == [("boom", "failed", "ValueError: no")]
    assert empathy.infos["Raises"].status == "failed"


class Skips(BaseWorkflow):
    """``nothing`` has nothing to do; ``model`` cannot run (degraded when asked); ``after`` runs."""

    name = "skips"
    stages = ["nothing", "model", "after"]
    degraded = False

    async def run_stage(self, stage_name, tier, input_data):
        if stage_name == "nothing":
            raise StageSkipped("nothing to do")
        if stage_name == "model":
            raise StageSkipped("no API key", degraded=self.degraded)
        return {"after": sorted(input_data)}, 0, 0


@pytest.mark.parametrize(("degraded", "status"), [(False, "success"), (True, "partial")])
def test_a_skipped_stage_is_announced_as_skipped_and_the_run_goes_on(empathy, run_workflow, degraded, status):
    seen = []

    class Listener:
        @hookimpl
        def empathy_stage_finished(self, result):
            seen.append((result.name, result.status, result.reason))

    empathy.plugins.append(Listener())
    Skips.degraded = degraded
    result = run_workflow(Skips, {"x": 1})
    assert seen == [
        ("nothing", "skipped", "nothing to do"),
        ("model", "skipped", "no API key"),
        ("after", "success", "the workflow's tier map"),
    ]
    assert result.status == status and result.output == {"after": ["x"]}
    assert result.error == ("stage 'model' skipped: no API key" if degraded else None)
