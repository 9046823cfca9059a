"""The rows of ``empathy routing models``: every known model with its price, the tiers
configured to it, and what telemetry observed of it."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from empathy_core import EmpathyError, ModelTier, PricingError, UsageTracker, utcnow
from empathy_routing.router import ModelStats

if TYPE_CHECKING:
    from empathy_core import Empathy


def model_rows(empathy: Empathy, *, provider: str | None = None, days: float = 30.0) -> list[dict[str, Any]]:
    """One row per model: priced models and models seen in telemetry over ``days``.

    ``provider`` (default: the configured one, and then every priced model is listed) keeps
    the models telemetry saw on it plus its model for each tier; an unknown provider is a
    ``ValueError`` naming it.
    """
    config = empathy.config
    groups = UsageTracker(empathy).store.stats(utcnow() - timedelta(days=days))
    if (
        provider is not None
        and provider not in empathy.providers()
        and all(g.provider != provider for g in groups)
    ):
        known = ", ".join(sorted(str(p) for p in empathy.providers())) or "none installed"
        raise ValueError(f"unknown provider {provider!r} (installed: {known})")
    observed: dict[str, ModelStats] = {}
    for group in groups:
        if provider is None or group.provider == provider:
            observed.setdefault(group.model, ModelStats(group.model, group.tier)).add(group)
    tiers: dict[str, list[str]] = {}
    tier_model = _tier_models(empathy, provider or config.provider)
    for tier in ModelTier:
        tiers.setdefault(tier_model(tier), []).append(tier.value)
    table = config.price_table()
    names = set(observed) | set(tiers)
    if provider is None:
        names |= set(table.models)
    rows = []
    for name in sorted(names):
        try:
            price = table.price_for(name)
            prices: dict[str, float | None] = {"input_per_mtok": price.input, "output_per_mtok": price.output}
        except PricingError:
            prices = {"input_per_mtok": None, "output_per_mtok": None}
        seen = observed.get(name)
        rows.append(
            {
                "model": name,
                "tiers": tiers.get(name, []),
                **prices,
                "calls": seen.calls if seen else 0,
                "success_rate": seen.success_rate if seen else None,
                "avg_latency_ms": seen.avg_latency_ms if seen else None,
                "avg_cost": seen.avg_cost if seen else None,
            }
        )
    return rows


def _tier_models(empathy: Empathy, provider: str) -> Any:
    """``model_for(tier)`` of ``provider``, else of the configuration's ``tier_defaults``."""
    try:
        return empathy.provider(provider).model_for
    except EmpathyError:  # not installed, or it cannot be built here: the configured map
        return empathy.config.model_for
