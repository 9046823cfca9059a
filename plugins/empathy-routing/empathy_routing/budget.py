"""Spending caps as LLM-call middleware: reserve the worst case, send, settle to the bill.

Before a call the middleware reserves its worst case in the routing store: the request's
input tokens (the provider's ``count_tokens`` when it has one, else the UTF-8 byte count,
an upper bound for byte-level tokenizers) billed as prompt-cache writes when the prefix is
cacheable, plus ``max_tokens`` of output, at the dated prices. The reservation and the
check against every cap (per run, per workflow per UTC day, per UTC day) are one exclusive
transaction, so concurrent processes cannot pass a cap together. After the call the
reservation becomes the billed cost (0 for a failure). A call that would pass a cap is not
sent: :class:`BudgetExceededError` ends the run with status ``budget_exceeded``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core import EmpathyError, LLMRequest, PriceTable, to_nano, utcnow

if TYPE_CHECKING:
    from empathy_core import LLMCallContext, LLMResponse
    from empathy_routing.settings import BudgetSettings
    from empathy_routing.store import RoutingStore, Spend

log = logging.getLogger("empathy.routing")

MESSAGE_OVERHEAD_TOKENS = 10
KEEP_DAYS = 7
"""Days of reservations kept (a run's cap counts the reservations of its run)."""


class BudgetExceededError(EmpathyError):
    """A call was not sent because its worst case would pass a spending cap."""

    run_status = "budget_exceeded"


async def input_tokens(provider: Any, request: LLMRequest) -> int:
    """The request's input tokens: the provider's count, else an upper bound."""
    count = getattr(provider, "count_tokens", None)
    if count is not None:
        return int(await count(request))
    texts = [request.system, request.cached_context]
    texts += [
        m["content"] if isinstance(m.get("content"), str) else str(m.get("content")) for m in request.messages
    ]
    return sum(len(t.encode()) for t in texts) + MESSAGE_OVERHEAD_TOKENS * (len(request.messages) + 1)


def worst_case(table: PriceTable, model: str, request: LLMRequest, tokens: int) -> float:
    """USD of ``tokens`` input (as cache writes when cacheable) and ``max_tokens`` output."""
    price = table.price_for(model)
    m = table.multipliers
    input_factor = 1.0
    if request.cache_prefix:
        input_factor = max(1.0, m.cache_write_1h if request.cache_ttl == "1h" else m.cache_write_5m)
    return (tokens * price.input * input_factor + request.max_tokens * price.output) / 1_000_000


class Budget:
    """The caps of one runtime over its routing store."""

    def __init__(self, caps: BudgetSettings, store: RoutingStore, table: PriceTable) -> None:
        self.caps = caps
        self.store = store
        self.table = table
        self._pruned = False

    def _prune_once(self) -> None:
        """Drop reservations older than :data:`KEEP_DAYS` days, once per runtime."""
        if not self._pruned:
            self._pruned = True
            self.store.prune_budget((utcnow() - timedelta(days=KEEP_DAYS)).date().isoformat())

    def _checker(self, workflow: str, run_id: str, model: str, worst: float) -> Any:
        def check(spend: Spend) -> None:
            limits = [("daily", self.caps.daily, spend.day)]
            if workflow:
                limits.append(
                    (
                        f"daily cap of workflow {workflow!r}",
                        self.caps.workflow_cap(workflow),
                        spend.workflow_day,
                    )
                )
            if run_id:
                limits.append((f"per-run cap of run {run_id}", self.caps.per_run, spend.run))
            for label, cap, used in limits:
                if cap is not None and to_nano(used) + to_nano(worst) > to_nano(cap):
                    name = label if label != "daily" else "daily cap"
                    raise BudgetExceededError(
                        f"budget: the {name} (${cap:.4f}) would be passed: ${used:.4f} reserved or spent "
                        f"+ ${worst:.4f} worst case of this call on {model}; the call was not sent"
                    )

        return check

    async def __call__(self, ctx: LLMCallContext, call_next: Any) -> LLMResponse:
        request = ctx.request
        if request.model != ctx.model:  # count and price the model that will be asked
            request = attrs.evolve(request, model=ctx.model)
        worst = worst_case(self.table, ctx.model, request, await input_tokens(ctx.provider, request))
        workflow = ctx.workflow.name if ctx.workflow is not None else ""
        run_id = ctx.stage.run_id if ctx.stage is not None else ""
        reservation = uuid.uuid4().hex
        if not self._pruned:
            await asyncio.to_thread(self._prune_once)
        await asyncio.to_thread(
            self.store.reserve,
            reservation,
            day=utcnow().date().isoformat(),
            workflow=workflow,
            run_id=run_id,
            model=ctx.model,
            amount=worst,
            check=self._checker(workflow, run_id, ctx.model, worst),
        )
        try:
            response: LLMResponse = await call_next(ctx)
        except asyncio.CancelledError:
            self.store.settle(reservation, 0.0)
            raise
        except BaseException:
            await asyncio.to_thread(self.store.settle, reservation, 0.0)
            raise
        try:
            await asyncio.to_thread(
                self.store.settle, reservation, self.table.cost(response.model, response.usage)
            )
        except EmpathyError as exc:  # the call was made and billed: keep its answer
            log.warning(
                "budget: reservation %s not settled (%s); it keeps counting its worst case", reservation, exc
            )
        return response

