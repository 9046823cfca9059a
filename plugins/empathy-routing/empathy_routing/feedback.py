"""``FeedbackLoop``: quality ratings of a stage's output, per tier, and the tier they suggest.

Scores are 0.0 (bad) to 1.0 (excellent), kept in the routing store (never only in memory),
so every process and the ``adaptive`` strategy see them. A recommendation looks at the
newest ``window`` scores of the stage's tier (at least ``min_samples`` of them): below
``adaptive_routing.quality_threshold`` -> one tier up; else one tier down when the tier below
scored at least the threshold, or has too few scores to judge while this tier scores at
least ``downgrade_threshold``.
"""

from __future__ import annotations

import math
from statistics import fmean
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core import ModelTier, check_name, check_payload
from empathy_routing.settings import RoutingSettings
from empathy_routing.tiers import lower, upper

if TYPE_CHECKING:
    from empathy_core import Empathy
    from empathy_routing.store import RoutingStore


@attrs.frozen
class TierRecommendation:
    """Where a stage should run next. ``confidence`` (0..1) grows with the number of scores."""

    current_tier: str
    recommended_tier: str
    reason: str
    confidence: float
    sample_count: int = 0
    avg_quality: float | None = None

    @property
    def changes(self) -> bool:
        return self.recommended_tier != self.current_tier


@attrs.frozen
class QualityStats:
    """Scores of one stage's tier: mean, count, spread, and ``recent_trend`` (mean of the newer
    half minus mean of the older half; > 0: improving)."""

    workflow: str
    stage: str
    tier: str
    avg_quality: float
    sample_count: int
    recent_trend: float
    min_quality: float
    max_quality: float


def check_quality(value: Any) -> float:
    """``value`` as a quality score in 0..1, else ``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"quality_score must be a number from 0.0 to 1.0, got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"quality_score must be from 0.0 to 1.0, got {value!r}")
    return float(value)


def check_tier(value: Any) -> ModelTier:
    """``value`` as a :class:`ModelTier`, else ``ValueError`` naming it and the tiers."""
    if not isinstance(value, str | ModelTier):
        raise ValueError(f"unknown tier {value!r} (expected one of: cheap, capable, premium)")
    return ModelTier.parse(value)


class FeedbackLoop:
    """Record quality feedback and recommend tiers from it.

    ``FeedbackLoop()`` uses the process-wide runtime's routing store; pass ``empathy=`` or
    ``store=`` to choose. Thresholds: ``adaptive_routing.min_samples`` and
    ``quality_threshold`` from the config, ``window`` and ``downgrade_threshold`` from the
    plugin's settings (or ``settings=``).
    """

    def __init__(
        self,
        empathy: Empathy | None = None,
        *,
        store: RoutingStore | None = None,
        settings: RoutingSettings | None = None,
        min_samples: int | None = None,
        quality_threshold: float | None = None,
    ) -> None:
        if empathy is None and (store is None or min_samples is None or quality_threshold is None):
            from empathy_core import Empathy

            empathy = Empathy.current()
        if empathy is not None:
            from empathy_routing.wiring import routing_settings, routing_store

            routing = empathy.config.adaptive_routing
            settings = settings or routing_settings(empathy)
            store = store or routing_store(empathy)
            min_samples = min_samples if min_samples is not None else routing.min_samples
            quality_threshold = (
                quality_threshold if quality_threshold is not None else routing.quality_threshold
            )
        assert store is not None and min_samples is not None and quality_threshold is not None  # nosec B101
        self.store = store
        self.settings = settings or RoutingSettings()
        self.min_samples = min_samples
        self.quality_threshold = quality_threshold

    def record_feedback(
        self,
        workflow_name: str,
        stage_name: str,
        tier: ModelTier | str,
        quality_score: float,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Store one score; ``ValueError`` naming the value for a score outside 0..1, an
        unknown tier, a malformed name or metadata that is not JSON."""
        check_name(workflow_name, "workflow_name")
        check_name(stage_name, "stage_name")
        quality = check_quality(quality_score)
        level = check_tier(tier)
        data = check_payload(metadata or {}, "metadata")
        self.store.add_feedback(workflow_name, stage_name, level.value, quality, data)

    def scores(
        self, workflow_name: str, stage_name: str, tier: ModelTier | str, limit: int | None = None
    ) -> list[float]:
        """The newest ``limit`` (default ``window``) scores of a stage's tier, newest first."""
        level = check_tier(tier)
        return self.store.recent_feedback(
            workflow_name, stage_name, level.value, limit or self.settings.window
        )

    def recommend_tier(
        self, workflow_name: str, stage_name: str, current_tier: ModelTier | str = ModelTier.CHEAP
    ) -> TierRecommendation:
        """The tier the newest scores of ``current_tier`` suggest (see the module docstring)."""
        current = check_tier(current_tier)
        scores = self.scores(workflow_name, stage_name, current)
        count = len(scores)
        confidence = min(1.0, count / self.settings.window)
        if count < self.min_samples:
            return TierRecommendation(
                current.value,
                current.value,
                f"{count} quality score(s) on {current.value}, fewer than min_samples={self.min_samples}",
                confidence,
                count,
                fmean(scores) if scores else None,
            )
        avg = fmean(scores)
        target, reason = (
            current,
            f"mean quality {avg:.2f} on {current.value} meets {self.quality_threshold:.2f}",
        )
        up, down = upper(current), lower(current)
        if avg < self.quality_threshold and up is not None:
            target = up
            reason = (
                f"mean quality {avg:.2f} of the last {count} on {current.value} "
                f"is below {self.quality_threshold:.2f}"
            )
        elif down is not None:
            below = self.scores(workflow_name, stage_name, down)
            known = len(below) >= self.min_samples
            if known and fmean(below) >= self.quality_threshold:
                target = down
                reason = (
                    f"{down.value} scored {fmean(below):.2f} (at least {self.quality_threshold:.2f}) "
                    f"and costs less than {current.value}"
                )
            elif known:
                reason += f"; {down.value} scored {fmean(below):.2f} before, so it stays"
            elif avg >= self.settings.downgrade_threshold:
                target = down
                reason = (
                    f"mean quality {avg:.2f} on {current.value} is at least "
                    f"{self.settings.downgrade_threshold:.2f}: try {down.value}"
                )
        return TierRecommendation(current.value, target.value, reason, confidence, count, avg)

    def get_quality_stats(
        self, workflow_name: str, stage_name: str, tier: ModelTier | str, limit: int = 100
    ) -> QualityStats:
        """Statistics of the newest ``limit`` scores of a stage's tier (zeros without any)."""
        level = check_tier(tier)
        scores = self.scores(workflow_name, stage_name, level, limit)
        if not scores:
            return QualityStats(workflow_name, stage_name, level.value, 0.0, 0, 0.0, 0.0, 0.0)
        half = len(scores) // 2
        trend = fmean(scores[:half]) - fmean(scores[half:]) if half else 0.0
        return QualityStats(
            workflow=workflow_name,
            stage=stage_name,
            tier=level.value,
            avg_quality=fmean(scores),
            sample_count=len(scores),
            recent_trend=trend,
            min_quality=min(scores),
            max_quality=max(scores),
        )
