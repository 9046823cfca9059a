"""Model routing for Empathy: strategies, the adaptive router, the feedback loop, fallbacks
and budgets.

``from empathy_routing import AdaptiveModelRouter, FeedbackLoop`` (resolved lazily, so the
entry-point module stays cheap to import).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "AdaptiveModelRouter": "router",
    "FeedbackLoop": "feedback",
    "QualityStats": "feedback",
    "TierRecommendation": "feedback",
    "RoutingSettings": "settings",
    "BudgetSettings": "settings",
    "BudgetExceededError": "budget",
    "RoutingStore": "store",
    "open_store": "store",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'empathy_routing' has no attribute {name!r}")
    value = getattr(import_module(f"empathy_routing.{module}"), name)
    globals()[name] = value
    return value
