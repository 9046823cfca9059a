"""The fallback chain as LLM-call middleware.

When a call to a model fails after the provider's retries (a :class:`ProviderError` other
than a request the API refuses on any model: 400, 401, 403, 413, or bad local input), the
next model of ``fallbacks[<model>]`` is tried. Each attempt goes through the inner chain
(budget, the provider's retries, telemetry), so every attempt is a usage record and the
stage result's ``model`` is the one that answered; ``stage.state["fallback"]`` lists the
models that failed before it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from empathy_core import ProviderError

if TYPE_CHECKING:
    from empathy_core import LLMCallContext, LLMResponse

log = logging.getLogger("empathy.routing")

NO_FALLBACK_STATUSES = frozenset({400, 401, 403, 413})
"""Statuses another model would answer the same way (bad request, key, permission, size)."""


def falls_back(exc: ProviderError) -> bool:
    """Whether another model may succeed where this error came from."""
    return exc.exit_code != 2 and exc.status not in NO_FALLBACK_STATUSES


class Fallbacks:
    """``fallbacks``: model -> the models to try after it, in order."""

    def __init__(self, chains: Mapping[str, Sequence[str]]) -> None:
        self.chains = {model: list(chain) for model, chain in chains.items()}

    async def __call__(self, ctx: LLMCallContext, call_next: Any) -> LLMResponse:
        chain = [ctx.model, *(m for m in self.chains.get(ctx.model, ()) if m != ctx.model)]
        failed: list[str] = []
        for i, model in enumerate(chain):
            try:
                response: LLMResponse = await call_next(ctx if i == 0 else ctx.evolve(model=model))
            except ProviderError as exc:
                failed.append(f"{model} ({exc})")
                if not falls_back(exc) or i == len(chain) - 1:
                    if len(failed) > 1:
                        raise ProviderError(
                            "every model of the fallback chain failed: " + "; ".join(failed),
                            status=exc.status,
                            request_id=exc.request_id,
                        ) from exc
                    raise
                log.warning("routing: %s failed (%s); falling back to %s", model, exc, chain[i + 1])
                continue
            if failed and ctx.stage is not None:
                ctx.stage.state["fallback"] = {"model": model, "failed": failed}
            return response
        raise AssertionError("unreachable: the chain has at least one model")  # pragma: no cover
