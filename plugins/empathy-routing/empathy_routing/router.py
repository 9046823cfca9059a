"""``AdaptiveModelRouter``: the model and tier a stage should use, from its history.

- **Quality score** of a model on a stage: ``success_rate x 100 - avg_cost x 10`` over the
  telemetry store's records of the last ``history_days`` (aggregated in the store).
- **Upgrade**: the stage's *trailing run* is its newest calls on the tier it runs on now
  (at most ``window``, cut where the tier changed). When the run has at least
  ``adaptive_routing.min_samples`` calls and its failure rate exceeds
  ``failure_rate_threshold``, move up one tier.
- **Downgrade** (recovery): a full window on a tier above CHEAP succeeding more than
  ``downgrade_threshold`` of the time suggests trying the tier below.
- Without history, answers come from the static tier map, say so, with confidence 0.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core import ModelTier, PricingError, RouteDecision, check_name, utcnow
from empathy_routing.settings import RoutingSettings, tier_of_model
from empathy_routing.tiers import lower, upper

if TYPE_CHECKING:
    from empathy_core import Empathy, UsageGroup
    from empathy_routing.store import CallOutcome, RoutingStore


@attrs.define
class ModelStats:
    """One model's record on a stage (or a workflow): calls, failures, cost, time."""

    model: str
    tier: str
    calls: int = 0
    failures: int = 0
    cost: float = 0.0
    duration_ms: float = 0.0

    @property
    def success_rate(self) -> float:
        return (self.calls - self.failures) / self.calls if self.calls else 0.0

    @property
    def avg_cost(self) -> float:
        return self.cost / self.calls if self.calls else 0.0

    @property
    def avg_latency_ms(self) -> float:
        return self.duration_ms / self.calls if self.calls else 0.0

    @property
    def quality_score(self) -> float:
        return self.success_rate * 100 - self.avg_cost * 10

    def add(self, group: UsageGroup) -> None:
        self.calls += group.calls
        self.failures += 0 if group.success else group.calls
        self.cost += group.cost
        self.duration_ms += group.duration_ms

    def summary(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "calls": self.calls,
            "failures": self.failures,
            "success_rate": self.success_rate,
            "avg_cost": self.avg_cost,
            "avg_latency_ms": self.avg_latency_ms,
            "quality_score": self.quality_score,
        }


@attrs.frozen
class TrailingRun:
    """A stage's newest calls on the tier it runs on now (``tier`` ``None``: no calls)."""

    tier: ModelTier | None
    calls: tuple[CallOutcome, ...] = ()

    @property
    def failure_rate(self) -> float:
        return sum(not c.success for c in self.calls) / len(self.calls) if self.calls else 0.0


class AdaptiveModelRouter:
    """Routing advice from telemetry history (see the module docstring).

    ``AdaptiveModelRouter(UsageTracker.get_instance())`` as in the seeds; ``telemetry=None``
    uses the process-wide runtime's tracker.
    """

    def __init__(
        self,
        telemetry: Any = None,
        *,
        store: RoutingStore | None = None,
        settings: RoutingSettings | None = None,
    ) -> None:
        from empathy_routing.wiring import routing_settings, routing_store

        if telemetry is None:
            from empathy_core import UsageTracker

            telemetry = UsageTracker.get_instance()
        self.telemetry = telemetry
        self.empathy: Empathy = telemetry.empathy
        self.settings = settings or routing_settings(self.empathy)
        self.store = store or routing_store(self.empathy)
        self._cache: dict[tuple[str, float], list[UsageGroup]] = {}
        self._cache_lock = threading.Lock()

    # -- configuration ---------------------------------------------------------------

    @property
    def min_samples(self) -> int:
        return int(self.empathy.config.adaptive_routing.min_samples)

    @property
    def failure_rate_threshold(self) -> float:
        return float(self.empathy.config.adaptive_routing.failure_rate_threshold)

    def static_tier(self, workflow: str, stage: str) -> ModelTier:
        """The registered workflow's tier for ``stage``; CAPABLE for an unknown workflow."""
        entry = self.empathy.workflows().get(workflow)
        return entry.cls.get_tier_for_stage(stage) if entry is not None else ModelTier.CAPABLE

    # -- telemetry history -----------------------------------------------------------

    def _groups(self, days: float, cache_key: str | None) -> list[UsageGroup]:
        """The telemetry store's aggregates of the last ``days``; cached under ``cache_key``
        (one workflow run) when given."""
        key = (cache_key or "", days)
        if cache_key is not None:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
        groups = list(self.telemetry.store.stats(utcnow() - timedelta(days=days)))
        if cache_key is not None:
            with self._cache_lock:
                if len(self._cache) > 64:
                    self._cache.clear()
                self._cache[key] = groups
        return groups

    def model_stats(
        self,
        workflow: str,
        stage: str | None = None,
        *,
        days: float | None = None,
        cache_key: str | None = None,
    ) -> dict[str, ModelStats]:
        """Per model: calls, failures, cost and latency of ``workflow`` (``stage``) in telemetry."""
        found: dict[str, ModelStats] = {}
        for group in self._groups(days or self.settings.history_days, cache_key):
            if group.workflow != workflow or (stage is not None and group.stage != stage):
                continue
            found.setdefault(group.model, ModelStats(group.model, group.tier)).add(group)
        return found

    def trailing_run(self, workflow: str, stage: str) -> TrailingRun:
        """The stage's newest calls on its current tier (see the module docstring)."""
        newest = self.store.recent_calls(workflow, stage, self.settings.window)
        if not newest:
            return TrailingRun(None)
        tier = newest[0].tier
        run = []
        for call in newest:
            if call.tier != tier:
                break
            run.append(call)
        return TrailingRun(ModelTier.parse(tier), tuple(run))

    # -- the seeds' API --------------------------------------------------------------

    def decide(
        self,
        workflow: str,
        stage: str,
        max_cost: float | None = None,
        max_latency_ms: float | None = None,
        min_success_rate: float | None = None,
        *,
        cache_key: str | None = None,
    ) -> RouteDecision:
        """The best model by quality score among those with ``min_samples`` calls meeting the
        limits, as a decision; the static tier map's model (confidence 0) when none does."""
        check_name(workflow, "workflow")
        check_name(stage, "stage")
        config = self.empathy.config
        stats = self.model_stats(workflow, stage, cache_key=cache_key)
        known = [s for s in stats.values() if s.calls >= self.min_samples]
        fits = [
            s
            for s in known
            if (max_cost is None or s.avg_cost <= max_cost)
            and (max_latency_ms is None or s.avg_latency_ms <= max_latency_ms)
            and (min_success_rate is None or s.success_rate >= min_success_rate)
        ]
        if not fits:
            tier = self.static_tier(workflow, stage)
            if not known:
                why = f"no history for {workflow}/{stage} (fewer than {self.min_samples} calls of any model)"
            else:
                why = f"no model with {self.min_samples}+ calls of {workflow}/{stage} meets the limits"
            return RouteDecision(
                tier=tier, model=config.model_for(tier), reason=f"{why}: the tier map's model", confidence=0.0
            )
        best = max(fits, key=lambda s: (s.quality_score, -s.avg_cost))
        tier = tier_of_model(config, best.model) or ModelTier.parse(best.tier)
        return RouteDecision(
            tier=tier,
            model=best.model,
            reason=(
                f"best quality score {best.quality_score:.1f} over {best.calls} calls "
                f"(success {best.success_rate:.0%}, ${best.avg_cost:.4f}/call, {best.avg_latency_ms:.0f} ms)"
            ),
            confidence=min(1.0, best.calls / self.settings.window),
        )

    def get_best_model(
        self,
        workflow: str,
        stage: str,
        max_cost: float | None = None,
        max_latency_ms: float | None = None,
        min_success_rate: float | None = None,
    ) -> str:
        """The model id :meth:`decide` picks."""
        model = self.decide(workflow, stage, max_cost, max_latency_ms, min_success_rate).model
        assert model is not None  # nosec B101 - decide always names one
        return model

    def recommend_tier_upgrade(
        self, workflow: str, stage: str, *, run: TrailingRun | None = None
    ) -> tuple[bool, str]:
        """``(True, reason)`` when the trailing run's failure rate exceeds the threshold
        (``run``: the stage's :meth:`trailing_run`, when the caller has it)."""
        run = run or self.trailing_run(workflow, stage)
        if run.tier is None or len(run.calls) < self.min_samples:
            return False, f"{len(run.calls)} recent call(s), fewer than min_samples={self.min_samples}"
        rate = run.failure_rate
        where = f"{rate:.0%} of the last {len(run.calls)} calls on {run.tier.value} failed"
        if rate > self.failure_rate_threshold:
            up = upper(run.tier)
            if up is None:
                return False, f"{where}, but premium is the top tier"
            return True, f"{where} (threshold {self.failure_rate_threshold:.0%}): move to {up.value}"
        return False, f"{where}, within the threshold {self.failure_rate_threshold:.0%}"

    def recommend_tier_downgrade(
        self, workflow: str, stage: str, *, run: TrailingRun | None = None
    ) -> tuple[bool, str]:
        """``(True, reason)`` when a full window above CHEAP succeeded more than
        ``downgrade_threshold`` of the time (the higher tier costs more for nothing)."""
        run = run or self.trailing_run(workflow, stage)
        window = self.settings.window
        if run.tier is None or run.tier is ModelTier.CHEAP or len(run.calls) < window:
            return False, f"needs {window} calls in a row on a tier above cheap"
        success = 1 - run.failure_rate
        down = lower(run.tier)
        assert down is not None  # nosec B101 - above CHEAP
        where = f"{success:.0%} of the last {len(run.calls)} calls on {run.tier.value} succeeded"
        if success > self.settings.downgrade_threshold:
            return True, f"{where}: try {down.value} again"
        return False, f"{where}, not above {self.settings.downgrade_threshold:.0%}"

    def get_routing_stats(
        self, workflow: str, days: float = 7, *, stage: str | None = None
    ) -> dict[str, Any]:
        """Calls, cost, success and per-model performance of ``workflow`` over ``days``."""
        check_name(workflow, "workflow")
        if stage is not None:
            check_name(stage, "stage")
        stats = self.model_stats(workflow, stage, days=days)
        calls = sum(s.calls for s in stats.values())
        cost = sum(s.cost for s in stats.values())
        failures = sum(s.failures for s in stats.values())
        stages: dict[str, dict[str, Any]] = {}
        for group in self._groups(days, None):
            if group.workflow == workflow and (stage is None or group.stage == stage):
                stages.setdefault(group.stage, {}).setdefault(
                    group.model, ModelStats(group.model, group.tier)
                )
                stages[group.stage][group.model].add(group)
        return {
            "workflow": workflow,
            "stage": stage,
            "days": days,
            "total_calls": calls,
            "total_cost": cost,
            "avg_cost": cost / calls if calls else 0.0,
            "avg_success_rate": (calls - failures) / calls if calls else 0.0,
            "models_used": sorted(stats),
            "performance_by_model": {m: s.summary() for m, s in sorted(stats.items())},
            "by_stage": {
                name: {m: s.summary() for m, s in sorted(models.items())}
                for name, models in sorted(stages.items())
            },
        }

    def estimated_cost(
        self, model: str, workflow: str, stage: str, *, cache_key: str | None = None
    ) -> float | None:
        """A model's expected cost per call on a stage: its own average, else the stage's
        average tokens at the model's price; ``None`` without history or price."""
        stats = self.model_stats(workflow, stage, cache_key=cache_key)
        if model in stats and stats[model].calls:
            return stats[model].avg_cost
        groups = [
            g
            for g in self._groups(self.settings.history_days, cache_key)
            if g.workflow == workflow and g.stage == stage and g.success
        ]
        calls = sum(g.calls for g in groups)
        if not calls:
            return None
        usage = groups[0].usage
        for g in groups[1:]:
            usage = usage + g.usage
        try:
            return float(self.empathy.config.price_table().cost(model, usage)) / calls
        except PricingError:
            return None
