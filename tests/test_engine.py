import asyncio

import pytest

from empathy_core import BaseWorkflow, ModelTier, RouteDecision, hookimpl, parse_config
from empathy_testing.sample_workflows import ThreeTierWorkflow

Review = ThreeTierWorkflow


def test_each_stage_runs_on_its_tier_and_every_call_is_recorded(usage_records, run_workflow):
    result = run_workflow(Review, {"topic": "auth.py"})
    assert result.status == "success", result.error
    assert [s.tier for s in result.stages] == [ModelTier.CHEAP, ModelTier.CAPABLE, ModelTier.PREMIUM]
    assert [r.model for r in usage_records] == ["mock-cheap", "mock-capable", "mock-premium"]
    assert [r.stage for r in usage_records] == ["scan", "analyse", "summarise"]
    assert {r.run_id for r in usage_records} == {result.run_id}
    assert result.tokens_in == sum(r.usage.input_tokens for r in usage_records)
    assert result.tokens_out == sum(r.usage.output_tokens for r in usage_records)
    assert result["tokens"]["total"] == result.tokens_in + result.tokens_out
    assert list(result.output) == ["summarise_text"]
    assert result.output["summarise_text"].startswith("mock reply ")
    assert "scan_text" in result.stages[0].output


def test_outputs_flow_into_later_stages(empathy, run_workflow):
    class Chain(BaseWorkflow):
        name = "chain"
        stages = ["one", "two"]

        async def run_stage(self, stage_name, tier, input_data):
            if stage_name == "one":
                return {"n": input_data["n"] + 1}, 0, 0
            return input_data["n"] * 10, 0, 0

    result = run_workflow(Chain, {"n": 1})
    assert result.output == 20


class Failing(BaseWorkflow):
    name = "failing"
    stages = ["first", "second", "third"]

    async def run_stage(self, stage_name, tier, input_data):
        if stage_name == "second":
            await self._call_llm(tier, "sys", "please EXPLODE now")
        return {stage_name: True}, 1, 1


def test_failing_stage_fails_the_run_and_keeps_earlier_stages(empathy, usage_records, run_workflow):
    from empathy_testing.mock_provider import MockSettings

    empathy.config = parse_config(
        "plugins:\n  settings:\n    testing:\n      fail_on: [EXPLODE]\n", __import__("pathlib").Path("t.yml")
    )
    assert empathy.settings("testing") == MockSettings(fail_on=["EXPLODE"])
    assert empathy.settings(MockSettings) == MockSettings(fail_on=["EXPLODE"])
    result = run_workflow(Failing)
    assert result.status == "failed"
    assert result.failed_stage == "second"
    assert "scripted failure on 'EXPLODE'" in result.error
    assert [(s.name, s.status) for s in result.stages] == [("first", "success"), ("second", "failed")]
    [record] = usage_records
    assert record.success is False and record.cost == 0.0 and record.request_id == "req_mock_000001"


def test_bad_run_stage_return_is_a_clear_stage_failure(empathy, run_workflow):
    class Sloppy(BaseWorkflow):
        name = "sloppy"
        stages = ["only"]

        async def run_stage(self, stage_name, tier, input_data):
            return "just text"

    result = run_workflow(Sloppy)
    assert result.status == "failed"
    assert "must return (output, tokens_in, tokens_out)" in result.error


def test_grouped_stages_run_concurrently(empathy, run_workflow):
    class Fan(BaseWorkflow):
        name = "fan"
        stages = [("left", "right"), "join"]

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.arrived = 0
            self.both = asyncio.Event()

        async def run_stage(self, stage_name, tier, input_data):
            if stage_name == "join":
                return sorted(k for k in input_data if k in {"left", "right"}), 0, 0
            self.arrived += 1
            if self.arrived == 2:
                self.both.set()
            # Sequential execution would wait here forever; the timeout turns that into a failure.
            await asyncio.wait_for(self.both.wait(), timeout=5)
            return {stage_name: True}, 0, 0

    result = run_workflow(Fan)
    assert result.status == "success", result.error
    assert result.output == ["left", "right"]


def test_select_route_hook_overrides_tier_map_and_model(empathy, usage_records, run_workflow):
    class Upgrade:
        @hookimpl
        def empathy_select_route(self, context):
            if context.stage == "scan":
                return RouteDecision(ModelTier.PREMIUM, "mock-cheap", reason="scan needs care")
            return None

    empathy.plugins.append(Upgrade())
    result = run_workflow(Review, {"topic": "x"})
    assert result.stages[0].tier is ModelTier.PREMIUM
    assert result.stages[0].reason == "scan needs care"
    assert usage_records[0].model == "mock-cheap"
    assert usage_records[0].tier == "premium"
    assert result.stages[1].tier is ModelTier.CAPABLE
    assert result.stages[1].reason == "the workflow's tier map"
    assert usage_records[1].model == "mock-capable"


def _tracer(name, log):
    class Tracer:
        @hookimpl
        def empathy_stage_middleware(self):
            async def trace(ctx, call_next):
                log.append(f"{name}>")
                try:
                    return await call_next(ctx)
                finally:
                    log.append(f"<{name}")

            return trace

    tracer = Tracer()
    tracer.__name__ = name
    return tracer


@pytest.mark.parametrize("order", [["outer", "inner"], ["inner", "outer"]])
def test_middleware_order_comes_from_yaml(empathy, run_workflow, tmp_path, order):
    log = []
    empathy.plugins.extend([_tracer("outer", log), _tracer("inner", log)])
    empathy.config = parse_config(
        f"hooks:\n  empathy_stage_middleware: [{', '.join(order)}]\n", tmp_path / "c.yml"
    )

    class One(BaseWorkflow):
        name = "one"
        stages = ["only"]

        async def run_stage(self, stage_name, tier, input_data):
            log.append("stage")
            return None, 0, 0

    assert run_workflow(One).succeeded
    first, second = order
    assert log == [f"{first}>", f"{second}>", "stage", f"<{second}", f"<{first}"]


def test_unknown_provider_fails_the_stage_with_a_clear_reason(empathy, run_workflow):
    result = run_workflow(Review, {"topic": "x"}, provider="nope")
    assert result.status == "failed"
    assert "unknown provider 'nope' (installed: mock)" in result.error


def test_sinks_never_see_a_raw_user_id_or_prompt(empathy, usage_records, run_workflow):
    result = run_workflow(Review, {"topic": "secret-topic"}, user_id="alice@example.com")
    assert result.succeeded
    assert all(r.user_id.startswith("sha256:") for r in usage_records)
    assert all("alice" not in r.user_id for r in usage_records)
    assert all(r.prompt is None for r in usage_records)
