"""FeedbackLoop: scores are validated, persisted in the routing store, and move tiers."""

from __future__ import annotations

import pytest

from empathy_routing import FeedbackLoop, open_store


@pytest.fixture
def loop(configure):
    runtime = configure(
        """
        adaptive_routing: {min_samples: 5, quality_threshold: 0.7}
        plugins:
          settings:
            empathy-routing: {window: 10, downgrade_threshold: 0.9}
        """,
        anthropic=False,
    )
    return FeedbackLoop(runtime)


def record(loop, tier, *scores):
    for score in scores:
        loop.record_feedback("code-review", "analysis", tier, score, {"tokens": 1500})


def test_scores_are_persisted_in_the_store_not_in_memory(loop, empathy_cache_dir):
    record(loop, "cheap", 0.85, 0.95)
    other = open_store(f"sqlite:///{empathy_cache_dir / 'routing.db'}")
    try:
        assert other.recent_feedback("code-review", "analysis", "cheap", 10) == [0.95, 0.85]
    finally:
        other.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"quality_score": 1.5}, "quality_score must be from 0.0 to 1.0, got 1.5"),
        ({"quality_score": -0.1}, "quality_score must be from 0.0 to 1.0, got -0.1"),
        ({"quality_score": float("nan")}, "quality_score must be a number from 0.0 to 1.0, got nan"),
        ({"quality_score": "high"}, "quality_score must be a number from 0.0 to 1.0, got 'high'"),
        ({"tier": "gold"}, "unknown tier 'gold'"),
        ({"workflow_name": "../etc"}, "workflow_name"),
        ({"metadata": {"when": object()}}, "metadata"),
    ],
)
def test_bad_input_is_refused_naming_the_value(loop, kwargs, message):
    args = {"workflow_name": "code-review", "stage_name": "analysis", "tier": "cheap", "quality_score": 0.5}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        loop.record_feedback(**{**args, **kwargs})
    assert loop.get_quality_stats("code-review", "analysis", "cheap").sample_count == 0


def test_low_quality_recommends_the_next_tier_up(loop):
    record(loop, "cheap", 0.5, 0.6, 0.55, 0.4, 0.6)
    advice = loop.recommend_tier("code-review", "analysis", current_tier="cheap")
    assert (advice.current_tier, advice.recommended_tier) == ("cheap", "capable")
    assert "mean quality 0.53 of the last 5 on cheap is below 0.70" in advice.reason
    assert advice.confidence == 0.5  # 5 of a window of 10


def test_too_few_scores_keep_the_tier_with_low_confidence(loop):
    record(loop, "cheap", 0.1, 0.1)
    advice = loop.recommend_tier("code-review", "analysis", "cheap")
    assert advice.recommended_tier == "cheap" and "fewer than min_samples=5" in advice.reason
    assert advice.confidence == 0.2


def test_excellent_quality_tries_the_tier_below_unless_it_scored_badly(loop):
    record(loop, "capable", 0.95, 1.0, 0.9, 0.95, 1.0)
    assert loop.recommend_tier("code-review", "analysis", "capable").recommended_tier == "cheap"
    record(loop, "cheap", 0.3, 0.4, 0.5, 0.3, 0.2)
    advice = loop.recommend_tier("code-review", "analysis", "capable")
    assert advice.recommended_tier == "capable" and "cheap scored 0.34 before, so it stays" in advice.reason


def test_quality_stats_report_mean_count_and_trend(loop):
    record(loop, "cheap", 0.2, 0.4, 0.8, 1.0)  # improving
    stats = loop.get_quality_stats("code-review", "analysis", "cheap")
    assert stats.sample_count == 4
    assert stats.avg_quality == pytest.approx(0.6)
    assert stats.recent_trend == pytest.approx(0.9 - 0.3)
    assert (stats.min_quality, stats.max_quality) == (0.2, 1.0)
    empty = loop.get_quality_stats("code-review", "analysis", "premium")
    assert (empty.sample_count, empty.avg_quality) == (0, 0.0)
