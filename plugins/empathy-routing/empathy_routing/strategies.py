"""The router strategies ``static``, ``cost-capped`` and ``adaptive`` (``adaptive_routing.strategy``).

Each is ``factory(empathy, settings)`` -> an object with ``select(RouteContext) ->
RouteDecision | None``, registered through ``empathy_register_router_strategies``; a
third-party plugin replaces one by registering its own under another name.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from empathy_core import ModelTier, RouteDecision
from empathy_routing.tiers import ORDER, lower, rank, upper

if TYPE_CHECKING:
    from empathy_core import Empathy, RouteContext
    from empathy_routing.feedback import FeedbackLoop
    from empathy_routing.router import AdaptiveModelRouter
    from empathy_routing.settings import RoutingSettings


def _router(empathy: Empathy, settings: RoutingSettings | None) -> AdaptiveModelRouter:
    from empathy_core import UsageTracker
    from empathy_routing.router import AdaptiveModelRouter

    return AdaptiveModelRouter(UsageTracker(empathy), settings=settings)


class StaticStrategy:
    """The workflow's tier map, on the provider's model for the tier (``tier_defaults``)."""

    name = "static"

    def __init__(self, empathy: Empathy, settings: RoutingSettings | None = None) -> None:
        self.empathy = empathy

    def select(self, context: RouteContext) -> RouteDecision:
        return RouteDecision(tier=context.tier, reason="static: the workflow's tier map", strategy=self.name)


class CostCappedStrategy:
    """The cheapest tier's model whose expected cost per call (its average on the stage, else
    the stage's average tokens at its price) is within ``max_cost`` and whose observed
    latency is within ``max_latency_ms``. Without limits or history: the tier map."""

    name = "cost-capped"

    def __init__(self, empathy: Empathy, settings: RoutingSettings | None = None) -> None:
        self.empathy = empathy
        self.router = _router(empathy, settings)

    def select(self, context: RouteContext) -> RouteDecision:
        if context.max_cost is None and context.max_latency_ms is None:
            return RouteDecision(
                tier=context.tier, reason="no max_cost or max_latency_ms: the tier map", strategy=self.name
            )
        config = self.empathy.config
        key = context.run_id or uuid.uuid4().hex  # telemetry aggregates read once per run
        stats = self.router.model_stats(context.workflow, context.stage, cache_key=key)
        priced: list[tuple[float, ModelTier, str, float | None]] = []
        for tier in ORDER:
            model = config.model_for(tier)
            cost = self.router.estimated_cost(model, context.workflow, context.stage, cache_key=key)
            latency = stats[model].avg_latency_ms if model in stats and stats[model].calls else None
            if cost is not None:
                priced.append((cost, tier, model, latency))
        if not priced:
            return RouteDecision(
                tier=context.tier,
                reason=f"no history for {context.workflow}/{context.stage}: the tier map",
                confidence=0.0,
                strategy=self.name,
            )
        priced.sort(key=lambda p: (p[0], rank(p[1])))
        for cost, tier, model, latency in priced:
            if context.max_cost is not None and cost > context.max_cost:
                continue
            if (
                context.max_latency_ms is not None
                and latency is not None
                and latency > context.max_latency_ms
            ):
                continue
            seen = f"{latency:.0f} ms" if latency is not None else "latency not observed yet"
            return RouteDecision(
                tier=tier,
                model=model,
                reason=f"cheapest within the limits: ~${cost:.4f}/call, {seen}",
                strategy=self.name,
            )
        cost, tier, model, _ = priced[0]
        return RouteDecision(
            tier=tier,
            model=model,
            reason=f"no model meets the limits; the cheapest (~${cost:.4f}/call)",
            confidence=0.0,
            strategy=self.name,
        )


class AdaptiveStrategy:
    """The stage's current tier, moved by its failures and its quality feedback.

    The current tier is the tier of the stage's newest call (the workflow's tier map before
    any). In order, the first rule that applies decides:

    1. failures: :meth:`AdaptiveModelRouter.recommend_tier_upgrade` -> one tier up;
    2. feedback: :meth:`FeedbackLoop.recommend_tier` on the current tier -> up or down;
    3. probe: after a full ``window`` of calls on a tier above the tier map's, succeeding
       more than ``downgrade_threshold`` (:meth:`~AdaptiveModelRouter.recommend_tier_downgrade`),
       one call goes to the tier below, so a tier left for failures or low quality is tried
       again once it may have recovered; rules 1 and 2 judge it from there.
    """

    name = "adaptive"

    def __init__(
        self,
        empathy: Empathy,
        settings: RoutingSettings | None = None,
        *,
        router: AdaptiveModelRouter | None = None,
        feedback: FeedbackLoop | None = None,
    ) -> None:
        from empathy_routing.feedback import FeedbackLoop

        self.empathy = empathy
        self.router = router or _router(empathy, settings)
        self.feedback = feedback or FeedbackLoop(
            empathy, store=self.router.store, settings=self.router.settings
        )

    def select(self, context: RouteContext) -> RouteDecision:
        self.empathy.flush(timeout=5.0)  # this process's last calls are in the history
        router, base, name = self.router, context.tier, (context.workflow, context.stage)
        run = router.trailing_run(*name)
        current = run.tier or base
        confidence = min(1.0, len(run.calls) / router.settings.window)

        def decision(tier: ModelTier, reason: str, sure: float = confidence) -> RouteDecision:
            return RouteDecision(tier=tier, reason=reason, confidence=sure, strategy=self.name)

        should, why = router.recommend_tier_upgrade(*name, run=run)
        up = upper(current)
        if should and up is not None:
            return decision(up, why)
        advice = self.feedback.recommend_tier(*name, current)
        if advice.changes:
            return decision(
                ModelTier.parse(advice.recommended_tier), f"feedback: {advice.reason}", advice.confidence
            )
        if run.tier is not None and rank(run.tier) > rank(base):
            down, down_why = router.recommend_tier_downgrade(*name, run=run)
            if down:
                return decision(lower(run.tier) or base, f"recovered? probe: {down_why}")
            return decision(
                current, f"stays on {current.value}, above the tier map's {base.value}: {down_why}"
            )
        if run.tier is None:
            return decision(current, "no calls yet: the tier map", 0.0)
        return decision(current, f"stays on {current.value}: {why}")


def register(register: Any) -> None:
    """Register the three strategies with ``register(name, factory)``."""
    for cls in (StaticStrategy, CostCappedStrategy, AdaptiveStrategy):
        register(cls.name, cls)
