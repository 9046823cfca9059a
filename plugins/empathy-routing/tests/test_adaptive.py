"""The adaptive strategy against the fake Anthropic server: up a tier after more than 20%
failures in 20 calls, back down once the higher tier has a clean window."""

from __future__ import annotations

import asyncio

import pytest

HAIKU, SONNET = "claude-haiku-4-5", "claude-sonnet-4-6"  # the default cheap and capable models
ADAPTIVE = """
    provider: anthropic
    adaptive_routing:
      enabled: true
      strategy: adaptive
      min_samples: 20
      failure_rate_threshold: 0.2
    plugins:
      settings:
        empathy-anthropic: {max_retries: 0}
"""


@pytest.fixture
def run_once(one_call):
    def run(runtime, **kwargs):
        result = asyncio.run(one_call(empathy=runtime, **kwargs).execute({"topic": "routing"}))
        runtime.flush()
        return result

    return run


def test_a_stage_moves_up_after_25_percent_failures_and_back_down_after_recovery(
    configure, fake_anthropic, models_sent, run_once
):
    runtime = configure(ADAPTIVE)
    failing = {3, 7, 11, 15, 19}  # 5 of the first 20 calls: 25% > 20%
    for i in range(20):
        if i in failing:
            fake_anthropic.fail_next(500)
        result = run_once(runtime)
        assert result.status == ("failed" if i in failing else "success"), result.error
    assert models_sent() == [HAIKU] * 20

    upgraded = run_once(runtime)
    assert upgraded.succeeded and upgraded.stages[0].model == SONNET
    assert "25% of the last 20 calls on cheap failed" in upgraded.stages[0].reason
    for _ in range(19):  # the upgraded tier needs a full clean window before trying cheap again
        assert run_once(runtime).stages[0].model == SONNET
    recovered = run_once(runtime)
    assert recovered.stages[0].model == HAIKU
    assert "recovered" in recovered.stages[0].reason
    assert run_once(runtime).stages[0].model == HAIKU  # one call on cheap: not enough to judge
    assert models_sent() == [HAIKU] * 20 + [SONNET] * 20 + [HAIKU] * 2


def test_exactly_20_percent_failures_keeps_the_tier(configure, fake_anthropic, run_once):
    runtime = configure(ADAPTIVE)
    for i in range(20):
        if i % 5 == 4:  # 4 of 20
            fake_anthropic.fail_next(500)
        run_once(runtime)
    result = run_once(runtime)
    assert result.stages[0].model == HAIKU
    assert "20% of the last 20 calls on cheap failed, within the threshold" in result.stages[0].reason


def test_with_routing_off_the_tier_map_answers_until_a_workflow_turns_it_on(
    configure, fake_anthropic, run_once
):
    runtime = configure(ADAPTIVE.replace("enabled: true", "enabled: false"))
    fake_anthropic.fail_next(500, times=20)
    for _ in range(20):
        run_once(runtime)
    assert run_once(runtime).stages[0].model == HAIKU  # routing disabled: the tier map
    assert run_once(runtime, enable_adaptive_routing=True).stages[0].model == SONNET


def test_the_yaml_strategy_is_the_one_asked(configure, fake_anthropic, run_once):
    runtime = configure(ADAPTIVE.replace("strategy: adaptive", "strategy: static"))
    fake_anthropic.fail_next(500, times=20)
    for _ in range(20):
        run_once(runtime)
    result = run_once(runtime)
    assert result.stages[0].model == HAIKU
    assert result.stages[0].reason == "static: the workflow's tier map"  # not the core's fallback
