"""Built-in plugin ``telemetry``: every LLM call becomes one usage record, stored once.

Its LLM middleware is the innermost (``trylast``): each attempt that reaches the
provider, successful, failed or cancelled, is timed, priced from the provider's reported
usage and handed to :meth:`Empathy.record_usage
<empathy_core.runtime.Empathy.record_usage>`. The background writer then calls
:func:`store_records`, which writes each batch to the one configured store
(``telemetry.store``) before any sink plugin sees it. A store that cannot be opened or
written is logged once per distinct error and never fails the call. Retention: before
its first write to a store, when ``telemetry.retention_days > 0``, the store is pruned
once per runtime.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core.hookspecs import hookimpl
from empathy_core.records import LLMRequest, LLMResponse, Usage, UsageRecord, utcnow
from empathy_core.stash import StashKey

if TYPE_CHECKING:
    from empathy_core.middleware import LLMCallContext
    from empathy_core.runtime import Empathy

log = logging.getLogger("empathy.telemetry")


@attrs.define
class _StoreState:
    """Per-runtime state of the store writer: what was pruned, which errors were logged."""

    pruned: set[str] = attrs.Factory(set)
    logged: set[str] = attrs.Factory(set)
    lock: threading.Lock = attrs.Factory(threading.Lock)


def retention_cutoff(days: float) -> datetime:
    """The moment before which records are older than ``days`` (positive)."""
    return utcnow() - timedelta(days=days)


def store_records(empathy: Empathy, records: list[UsageRecord]) -> None:
    """Write ``records`` to the configured telemetry store in one transaction (never raises)."""
    telemetry = empathy.config.telemetry
    if not telemetry.enabled or not records:
        return
    state = empathy.stash.setdefault(_STATE, _StoreState())
    try:
        store = empathy.open_backend("telemetry")
        _apply_retention(store, telemetry.retention_days, state)
        store.write_many(records)
    except Exception as exc:
        _log_once(state, f"{len(records)} usage record(s) not stored", exc)


def _apply_retention(store: Any, days: int, state: _StoreState) -> None:
    if days <= 0:
        return
    with state.lock:
        if store.url in state.pruned:
            return
        state.pruned.add(store.url)
    try:
        removed = store.prune(retention_cutoff(days))
    except Exception as exc:
        _log_once(state, "old records not pruned", exc)
        return
    if removed:
        log.info("telemetry: pruned %d records older than %d days from %s", removed, days, store.url)


def _log_once(state: _StoreState, what: str, exc: Exception) -> None:
    message = str(exc)
    if message not in state.logged:
        state.logged.add(message)
        log.warning("telemetry: %s: %s", what, message)


def prompt_text(request: LLMRequest) -> str:
    """The request's text as ``telemetry.store_prompts`` keeps it."""
    parts = [request.system, request.cached_context]
    parts += [m["content"] for m in request.messages if isinstance(m.get("content"), str)]
    return "\n\n".join(p for p in parts if p)


def usage_record(
    ctx: LLMCallContext,
    started: float,
    response: LLMResponse | None = None,
    error: BaseException | None = None,
) -> UsageRecord:
    """The record of one attempt: priced from the response's usage (0 when it failed)."""
    config = ctx.empathy.config
    usage = response.usage if response is not None else Usage()
    model = response.model if response is not None else ctx.model
    stage, workflow = ctx.stage, ctx.workflow
    if error is None:
        failure = None
    elif isinstance(error, asyncio.CancelledError):
        failure = "cancelled"
    else:
        failure = f"{type(error).__name__}: {error}"
    return UsageRecord(
        workflow=workflow.name if workflow is not None else "",
        stage=stage.stage if stage is not None else "",
        tier=ctx.request.tier.value,
        provider=getattr(ctx.provider, "name", "unknown"),
        model=model,
        usage=usage,
        cost=price_table(ctx.empathy).cost(model, usage) if response is not None else 0.0,
        duration_ms=(time.perf_counter() - started) * 1000,
        success=error is None,
        error=failure,
        request_id=response.request_id if response is not None else getattr(error, "request_id", None),
        run_id=stage.run_id if stage is not None else None,
        user_id=workflow.user_id if workflow is not None else None,
        prompt=prompt_text(ctx.request) if config.telemetry.store_prompts else None,
    )


def price_table(empathy: Empathy) -> Any:
    """The runtime's price table (shipped prices plus ``pricing:`` overrides), built once."""
    table = empathy.stash.get(_PRICES)
    if table is None:
        table = empathy.stash.setdefault(_PRICES, empathy.config.price_table())
    return table


async def record_call(ctx: LLMCallContext, call_next: Callable[[Any], Awaitable[Any]]) -> LLMResponse:
    """The telemetry middleware: one usage record per attempt, success, failure or cancel."""
    started = time.perf_counter()
    try:
        response: LLMResponse = await call_next(ctx)
    except BaseException as exc:
        if isinstance(exc, Exception | asyncio.CancelledError):
            ctx.empathy.record_usage(usage_record(ctx, started, error=exc))
            _account(ctx, 0.0, ctx.model)
        raise
    record = ctx.empathy.record_usage(usage_record(ctx, started, response=response))
    _account(ctx, record.cost, record.model)
    return response


def _account(ctx: LLMCallContext, cost: float, model: str) -> None:
    if ctx.stage is not None:
        ctx.stage.cost += cost
        ctx.stage.calls += 1
        ctx.stage.model = model


class TelemetryPlugin:
    """The built-in plugin ``telemetry``."""

    @hookimpl(trylast=True)
    def empathy_llm_middleware(self) -> Callable[..., Awaitable[Any]]:
        return record_call


_STATE = StashKey[_StoreState]("telemetry-store")
_PRICES = StashKey[Any]("price-table")
