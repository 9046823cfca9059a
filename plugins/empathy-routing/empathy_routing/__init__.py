"""Model routing for Empathy: strategies, the adaptive router, the feedback loop, fallbacks
and budgets.

``from empathy_routing import AdaptiveModelRouter, FeedbackLoop`` (resolved lazily, so the
entry-point module stays cheap to import).
"""

from __future__ import annotations

from empathy_core import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
