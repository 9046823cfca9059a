"""The plugin's one LLM middleware: the fallback chain around the budget (each model tried is
reserved at its own price), outside the provider's retries."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import ConfigError
from empathy_routing.settings import check_models
from empathy_routing.wiring import routing_settings, routing_store

if TYPE_CHECKING:
    from empathy_core import Empathy


def llm_middleware(empathy: Empathy) -> Any:
    """``async def mw(ctx, call_next)`` for the configured fallbacks and budgets, or ``None``."""
    settings = routing_settings(empathy)
    if not settings.fallbacks and not settings.budgets.active:
        return None
    try:
        check_models(settings, empathy.config)
    except ConfigError as exc:  # every call fails with it, naming the key; nothing is sent
        problem: ConfigError | None = exc
    else:
        problem = None
    budget = None
    if settings.budgets.active:
        from empathy_routing.budget import Budget

        budget = Budget(settings.budgets, routing_store(empathy), empathy.config.price_table())
    fallbacks = None
    if settings.fallbacks:
        from empathy_routing.fallback import Fallbacks

        fallbacks = Fallbacks(settings.fallbacks)

    async def budgeted(ctx: Any, call_next: Any) -> Any:
        return await (budget(ctx, call_next) if budget is not None else call_next(ctx))

    async def routing_middleware(ctx: Any, call_next: Any) -> Any:
        if problem is not None:
            raise problem
        if fallbacks is None:
            return await budgeted(ctx, call_next)
        return await fallbacks(ctx, lambda inner: budgeted(inner, call_next))

    return routing_middleware
