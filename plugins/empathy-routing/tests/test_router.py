"""AdaptiveModelRouter over telemetry history, and the three strategies by name."""

from __future__ import annotations

import pytest

from empathy_core import ModelTier, RouteContext, UsageTracker
from empathy_routing import AdaptiveModelRouter
from empathy_routing.strategies import AdaptiveStrategy, CostCappedStrategy, StaticStrategy

HAIKU, SONNET, OPUS = "claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-6"


@pytest.fixture
def runtime(configure):
    return configure("adaptive_routing: {min_samples: 5}\n", anthropic=False)


def track(runtime, model, tier, calls, *, failures=0, duration_ms=1000.0, stage="analysis", tokens=None):
    tracker = UsageTracker(runtime)
    for i in range(calls):
        tracker.track_llm_call(
            "code-review",
            stage,
            tier,
            model,
            tokens=tokens or {"input": 1000, "output": 500},
            duration_ms=duration_ms,
            success=i >= failures,
        )
    runtime.flush()


def test_without_history_the_static_map_answers_with_confidence_0(runtime):
    router = AdaptiveModelRouter(UsageTracker(runtime))
    decision = router.decide("code-review", "analysis", max_cost=0.01)
    assert decision.model == SONNET  # an unregistered workflow: CAPABLE's model
    assert decision.confidence == 0.0 and "no history for code-review/analysis" in decision.reason
    assert router.get_best_model("code-review", "analysis") == SONNET
    assert router.recommend_tier_upgrade("code-review", "analysis") == (
        False,
        "0 recent call(s), fewer than min_samples=5",
    )
    assert router.get_routing_stats("code-review")["total_calls"] == 0


def test_the_best_quality_score_wins_within_the_limits(runtime):
    track(runtime, HAIKU, "cheap", 10, failures=3, duration_ms=400)  # 70% success, ~$0.0035
    track(runtime, SONNET, "capable", 10, failures=0, duration_ms=2000)  # 100%, ~$0.0105
    track(runtime, OPUS, "premium", 4)  # fewer than min_samples: not a candidate
    router = AdaptiveModelRouter(UsageTracker(runtime))
    assert router.get_best_model("code-review", "analysis") == SONNET
    assert router.get_best_model("code-review", "analysis", max_cost=0.01) == HAIKU
    assert router.get_best_model("code-review", "analysis", max_latency_ms=1000) == HAIKU
    decision = router.decide("code-review", "analysis", max_cost=0.01, min_success_rate=0.9)
    assert decision.model == SONNET and decision.confidence == 0.0  # nothing fits: the static model
    assert "meets the limits" in decision.reason


def test_routing_stats_per_model_and_stage(runtime):
    track(runtime, HAIKU, "cheap", 6, failures=1)
    track(runtime, SONNET, "capable", 5, stage="synthesis")
    stats = AdaptiveModelRouter(UsageTracker(runtime)).get_routing_stats("code-review", days=7)
    assert stats["total_calls"] == 11
    assert stats["models_used"] == [HAIKU, SONNET]
    assert stats["performance_by_model"][HAIKU]["success_rate"] == pytest.approx(5 / 6)
    assert stats["performance_by_model"][HAIKU]["quality_score"] == pytest.approx(
        100 * 5 / 6 - 10 * stats["performance_by_model"][HAIKU]["avg_cost"]
    )
    assert set(stats["by_stage"]) == {"analysis", "synthesis"}
    assert stats["avg_success_rate"] == pytest.approx(10 / 11)


def test_upgrade_needs_min_samples_and_a_failure_rate_above_the_threshold(runtime):
    router = AdaptiveModelRouter(UsageTracker(runtime))
    track(runtime, HAIKU, "cheap", 4, failures=4)
    assert router.recommend_tier_upgrade("code-review", "analysis")[0] is False  # 4 < min_samples
    track(runtime, HAIKU, "cheap", 1)
    should, reason = router.recommend_tier_upgrade("code-review", "analysis")
    assert should and reason.startswith("80% of the last 5 calls on cheap failed")


def context(tier=ModelTier.CHEAP, **limits):
    return RouteContext(workflow="code-review", stage="analysis", tier=tier, run_id="r1", **limits)


def test_strategies_are_chosen_by_name(runtime):
    assert isinstance(runtime.strategy("static"), StaticStrategy)
    assert isinstance(runtime.strategy("cost-capped"), CostCappedStrategy)
    assert isinstance(runtime.strategy("adaptive"), AdaptiveStrategy)
    assert runtime.strategy() is runtime.strategy("adaptive")  # the config's default
    decision = runtime.strategy("static").select(context(ModelTier.PREMIUM))
    assert (decision.tier, decision.model, decision.strategy) == (ModelTier.PREMIUM, None, "static")


def test_cost_capped_picks_the_cheapest_model_within_the_limits(runtime):
    track(runtime, HAIKU, "cheap", 5, duration_ms=9000)  # $0.0035 a call but slow
    track(runtime, SONNET, "capable", 5, duration_ms=1500)  # $0.0105 a call
    strategy = runtime.strategy("cost-capped")
    cheap = strategy.select(context(max_cost=0.02))
    assert (cheap.tier, cheap.model) == (ModelTier.CHEAP, HAIKU)
    fast = strategy.select(context(max_cost=0.02, max_latency_ms=5000))
    assert (fast.tier, fast.model) == (ModelTier.CAPABLE, SONNET)
    # opus has no calls: its cost is the stage's tokens at its price, $0.0175 > $0.015
    capped = strategy.select(context(max_cost=0.015, max_latency_ms=1000))
    assert capped.confidence == 0.0 and capped.model == HAIKU and "no model meets the limits" in capped.reason
    assert strategy.select(context(tier=ModelTier.PREMIUM)).tier is ModelTier.PREMIUM  # no limits


def test_cost_capped_without_history_answers_the_tier_map(runtime):
    decision = runtime.strategy("cost-capped").select(context(ModelTier.CAPABLE, max_cost=0.01))
    assert decision.tier is ModelTier.CAPABLE and decision.confidence == 0.0


def test_adaptive_uses_feedback_to_move_a_stage(runtime):
    from empathy_routing import FeedbackLoop

    loop = FeedbackLoop(runtime)
    for _ in range(5):
        loop.record_feedback("code-review", "analysis", "cheap", 0.3)
    decision = runtime.strategy("adaptive").select(context())
    assert decision.tier is ModelTier.CAPABLE
    assert "feedback: mean quality 0.30" in decision.reason
