"""Idempotency keys for stage LLM requests and the opt-in response cache (LLM middleware).

Every LLM request made inside a checkpointed stage carries
``metadata["idempotency_key"]``: a hash of the run id, the stage, the call's position in
the stage and the request itself, so the same call of the same run has the same key on
every attempt and after a resume. With ``response_cache: true`` a response is kept in the
``memory`` store under the hash of what determines it (model, system prompt, context,
messages, max_tokens, temperature) for ``cache_ttl`` seconds; a repeat is answered from
it without reaching the provider and recorded as a usage record with zero tokens, $0 and
``request_id`` ``response-cache:<the original request id>``.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import attrs

from empathy_checkpoints.durable import runs, settings
from empathy_core import EmpathyError, LLMResponse, Usage, UsageRecord, from_dict, to_dict

if TYPE_CHECKING:
    from empathy_core import Empathy, LLMCallContext, LLMRequest

NAMESPACE = "empathy-response-cache"
KEY = "idempotency_key"
CACHE_HIT_PREFIX = "response-cache:"
_CALLS = "empathy-checkpoints.calls"

Handler = Callable[[Any], Awaitable[Any]]


def _digest(*parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def request_key(model: str, request: LLMRequest) -> str:
    """The hash of everything that determines the response to ``request`` on ``model``."""
    return _digest(
        model,
        request.system,
        request.cached_context,
        request.messages,
        request.max_tokens,
        request.temperature,
        request.cache_prefix,
        request.cache_ttl,
    )


def idempotency_key(run_id: str, stage: str, index: int, model: str, request: LLMRequest) -> str:
    """The deterministic key of the ``index``-th LLM call of ``stage`` in run ``run_id``."""
    return _digest(run_id, stage, index, request_key(model, request))


def hit_record(ctx: LLMCallContext, response: LLMResponse, started: float) -> UsageRecord:
    """The usage record of a cache hit: zero tokens, $0."""
    stage, workflow = ctx.stage, ctx.workflow
    return UsageRecord(
        workflow=workflow.name if workflow is not None else "",
        stage=stage.stage if stage is not None else "",
        tier=ctx.request.tier.value,
        provider=getattr(ctx.provider, "name", "unknown"),
        model=response.model,
        usage=Usage(),
        cost=0.0,
        duration_ms=(time.perf_counter() - started) * 1000,
        request_id=f"{CACHE_HIT_PREFIX}{response.request_id or ''}",
        run_id=stage.run_id if stage is not None else None,
        user_id=workflow.user_id if workflow is not None else None,
    )


def llm_middleware(empathy: Empathy) -> Callable[[LLMCallContext, Handler], Awaitable[Any]]:
    """Stamp the idempotency key; answer repeats from the cache when it is on."""

    async def idempotency_middleware(ctx: LLMCallContext, call_next: Handler) -> Any:
        stage = ctx.stage
        state = runs(empathy).get(stage.run_id) if stage is not None else None
        if stage is not None and state is not None:
            index = stage.state[_CALLS] = stage.state.get(_CALLS, -1) + 1
            key = idempotency_key(state.run_id, stage.stage, index, ctx.model, ctx.request)
            ctx.request = attrs.evolve(ctx.request, metadata={**ctx.request.metadata, KEY: key})
        options = settings(empathy)
        if not options.response_cache:
            return await call_next(ctx)
        return await _cached(empathy, ctx, call_next, options.cache_ttl)

    return idempotency_middleware


async def _cached(empathy: Empathy, ctx: LLMCallContext, call_next: Handler, ttl: float) -> LLMResponse:
    started = time.perf_counter()
    key = request_key(ctx.model, ctx.request)
    memory = await asyncio.to_thread(empathy.open_backend, "memory")
    try:
        found = await asyncio.to_thread(memory.get_value, NAMESPACE, key)
    except EmpathyError:
        found = None  # an unreachable cache is a miss, never a failed call
    if found is not None:
        cached = from_dict(LLMResponse, found)
        response = attrs.evolve(cached, usage=Usage(), duration_ms=(time.perf_counter() - started) * 1000)
        empathy.record_usage(hit_record(ctx, cached, started))
        if ctx.stage is not None:
            ctx.stage.calls += 1
            ctx.stage.model = response.model
        return response
    response: LLMResponse = await call_next(ctx)
    with contextlib.suppress(EmpathyError, ValueError):  # not cached: the next repeat pays again
        await asyncio.to_thread(memory.set_value, NAMESPACE, key, to_dict(response), ttl)
    return response
