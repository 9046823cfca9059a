"""The engine's own hook implementations: the fallbacks every other plugin can override."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from empathy_core.errors import UnknownNameError
from empathy_core.hookspecs import hookimpl
from empathy_core.records import RouteContext, RouteDecision

if TYPE_CHECKING:
    from empathy_core.runtime import Empathy

log = logging.getLogger("empathy.routing")


def tier_map_route(context: RouteContext) -> RouteDecision:
    """The decision when no strategy answers: the workflow's own tier, the provider's model."""
    return RouteDecision(tier=context.tier, reason="the workflow's tier map", strategy="static")


class EnginePlugin:
    """Routing fallback: the configured strategy when routing is on, else the tier map."""

    @hookimpl(trylast=True)
    def empathy_select_route(self, empathy: Empathy, context: RouteContext) -> RouteDecision:
        routing = empathy.config.adaptive_routing
        if routing.enabled or context.adaptive:
            try:
                decision = empathy.strategy(routing.strategy).select(context)
            except UnknownNameError as exc:
                log.warning("routing: %s; using the workflow's tier map", exc)
            except Exception as exc:  # a broken strategy: its plugin is disabled
                owner = empathy.strategies().owners.get(routing.strategy, routing.strategy)
                empathy.plugin_manager.fail(str(owner), exc, during="router strategy select()")
            else:
                if decision is not None:
                    return decision
        return tier_map_route(context)
