"""``AnthropicBatchProvider``: Message Batches at half price, one usage record per request.

Submit requests under your own ``custom_id``s, poll until the batch ends (``poll_interval``
and ``timeout`` from ``config.batch`` unless given), then fetch the results: each becomes a
:class:`BatchResult` and one :class:`~empathy_core.UsageRecord` with ``batch=True``
(succeeded: exact usage at the batch price; errored, canceled, expired: ``success=False``
and zero cost). Results of a batch are recorded once per provider instance.

Ids are matched whole (``custom_id``: 1-64 of ``[a-zA-Z0-9_-]``, batch id: 1-128 of
``[A-Za-z0-9_-]``; a trailing newline is not allowed) and a bad one is a
``ProviderError`` with exit code 2, raised before any request. Polls are at least
:data:`MIN_POLL_INTERVAL` seconds apart whatever the configuration says.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from empathy_anthropic.client import ClientHolder
from empathy_anthropic.messages import create_params, effective_ttl, reply_text, usage_from
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import LLMRequest, LLMResponse, ModelTier, ProviderError, Usage, UsageRecord, shorten

if TYPE_CHECKING:
    from empathy_core import Empathy

# ``\Z``, not ``$``: ``$`` also matches before a trailing newline. Safe with match and fullmatch.
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}\Z")
BATCH_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}\Z")
MIN_POLL_INTERVAL = 1.0
UNPROCESSED = {
    "canceled": "the batch was canceled before this request was processed",
    "expired": "the batch expired (24 h) before this request was processed",
}
PROVIDER = "anthropic"
Requests = Mapping[str, LLMRequest] | Iterable[tuple[str, LLMRequest]]


@attrs.frozen
class BatchResult:
    """The outcome of one request of a batch.

    ``result_type`` is ``succeeded``, ``errored``, ``canceled`` or ``expired``; ``cost``
    is the batch price of ``response.usage`` (0 when not succeeded).
    """

    custom_id: str
    success: bool
    response: LLMResponse | None = None
    error: str | None = None
    result_type: str = "succeeded"
    cost: float = 0.0


@attrs.frozen
class BatchStatus:
    """Where a batch stands: ``processing_status`` is ``in_progress``, ``canceling`` or ``ended``."""

    batch_id: str
    processing_status: str
    request_counts: dict[str, int]
    created_at: datetime | None = None
    ended_at: datetime | None = None

    @property
    def ended(self) -> bool:
        return self.processing_status == "ended"


def _as_requests(
    requests: Mapping[str, LLMRequest] | Iterable[tuple[str, LLMRequest]],
) -> dict[str, LLMRequest]:
    pairs = list(requests.items()) if isinstance(requests, Mapping) else list(requests)
    if not pairs:
        raise ProviderError("a message batch needs at least one request")
    chosen: dict[str, LLMRequest] = {}
    for custom_id, request in pairs:
        if not isinstance(custom_id, str) or not CUSTOM_ID.fullmatch(custom_id):
            raise ProviderError(
                f"invalid batch custom_id {shorten(custom_id)}: use 1-64 letters, digits, '_' or '-'",
                exit_code=2,
            )
        if custom_id in chosen:
            raise ProviderError(
                f"batch custom_id {custom_id!r} is used twice; each must be unique", exit_code=2
            )
        chosen[custom_id] = request
    return chosen


def check_batch_id(batch_id: object) -> str:
    """``batch_id`` when it is 1-128 of ``[A-Za-z0-9_-]`` (nothing else, no newline), else exit 2."""
    if not isinstance(batch_id, str) or not BATCH_ID.fullmatch(batch_id):
        raise ProviderError(
            f"invalid batch id {shorten(batch_id)}: expected 1-128 letters, digits, '_' or '-'",
            exit_code=2,
        )
    return batch_id


def poll_plan(poll_interval: float, timeout: float) -> tuple[float, float]:
    """(seconds between polls, seconds to wait) as :meth:`AnthropicBatchProvider.wait` uses them.

    The interval is at least :data:`MIN_POLL_INTERVAL` (a NaN, zero or negative one
    included); a timeout that is not a finite number of seconds >= 0 is a ``ProviderError``.
    """
    if not isinstance(timeout, int | float) or not math.isfinite(timeout) or timeout < 0:
        raise ProviderError(
            f"batch timeout must be a finite number of seconds >= 0, got {shorten(timeout)}", exit_code=2
        )
    if not isinstance(poll_interval, int | float) or math.isnan(poll_interval):
        return MIN_POLL_INTERVAL, float(timeout)
    return max(float(poll_interval), MIN_POLL_INTERVAL), float(timeout)


def _status(batch: Any) -> BatchStatus:
    counts = batch.request_counts
    return BatchStatus(
        batch_id=batch.id,
        processing_status=batch.processing_status,
        request_counts={
            k: getattr(counts, k) for k in ("processing", "succeeded", "errored", "canceled", "expired")
        },
        created_at=batch.created_at,
        ended_at=batch.ended_at,
    )


class AnthropicBatchProvider:
    """Message Batches through ``AsyncAnthropic``; see the module docstring for the contract.

    :param config: the Empathy configuration (default: the runtime's).
    :param settings: SDK settings (retries, timeout, base URL, cache TTL); default: the
        runtime's ``empathy-anthropic`` settings when ``empathy`` is given, else defaults.
    :param empathy: the runtime whose :meth:`~empathy_core.Empathy.record_usage` stores the
        records and hands them to every sink (default: :meth:`Empathy.current
        <empathy_core.Empathy.current>`, looked up only when needed).
    :param record_usage: a callable receiving each ``UsageRecord`` instead of the runtime.
    :param workflow: ``stage``, ``user_id``: copied into every usage record.
    """

    name = PROVIDER

    def __init__(
        self,
        config: Any = None,
        settings: AnthropicSettings | None = None,
        *,
        empathy: Empathy | None = None,
        record_usage: Callable[[UsageRecord], None] | None = None,
        workflow: str = "batch",
        stage: str = "batch",
        user_id: str | None = None,
    ) -> None:
        self._empathy = empathy
        self.config = config if config is not None else self._runtime().config
        if settings is None:
            settings = (
                AnthropicSettings() if self._empathy is None else self._empathy.settings(AnthropicSettings)
            )
        self.settings = settings
        self._record_usage = record_usage
        self.workflow, self.stage, self.user_id = workflow, stage, user_id
        self._clients = ClientHolder(self.config, self.settings)
        self._submitted: dict[str, dict[str, LLMRequest]] = {}
        self._recorded: set[str] = set()

    def __repr__(self) -> str:
        return f"AnthropicBatchProvider(workflow={self.workflow!r}, settings={self.settings!r})"

    def _runtime(self) -> Empathy:
        if self._empathy is None:
            from empathy_core import Empathy

            self._empathy = Empathy.current()
        return self._empathy

    def _record(self, record: UsageRecord) -> None:
        if self._record_usage is not None:
            self._record_usage(record)
        else:
            self._runtime().record_usage(record)

    # -- API calls -------------------------------------------------------------------

    async def submit(self, requests: Requests) -> str:
        """Create a batch of ``custom_id -> request``; returns the batch id (``msgbatch_...``)."""
        chosen = _as_requests(requests)
        items = [
            {
                "custom_id": custom_id,
                "params": create_params(
                    request,
                    request.model or self.config.model_for(request.tier),
                    effective_ttl(request, self.settings.cache_ttl),
                    name=f"batch request {custom_id!r}",
                ),
            }
            for custom_id, request in chosen.items()
        ]
        batch = await self._clients.call(
            "messages.batches.create", lambda c: c.messages.batches.create(requests=items)
        )
        self._submitted[batch.id] = chosen
        return batch.id

    async def status(self, batch_id: str) -> BatchStatus:
        """The batch's processing status and request counts."""
        check_batch_id(batch_id)
        batch = await self._clients.call(
            "messages.batches.retrieve", lambda c: c.messages.batches.retrieve(batch_id)
        )
        return _status(batch)

    async def wait(
        self, batch_id: str, *, poll_interval: float | None = None, timeout: float | None = None
    ) -> BatchStatus:
        """Poll every ``poll_interval`` seconds until the batch ends; ``ProviderError`` after ``timeout``.

        Both default to ``config.batch``; polls are at least :data:`MIN_POLL_INTERVAL`
        seconds apart (see :func:`poll_plan`). The batch is left running on timeout: wait
        again, or :meth:`cancel` it.
        """
        interval, limit = poll_plan(
            self.config.batch.poll_interval if poll_interval is None else poll_interval,
            self.config.batch.timeout if timeout is None else timeout,
        )
        check_batch_id(batch_id)
        deadline = time.monotonic() + limit
        while True:
            current = await self.status(batch_id)
            if current.ended:
                return current
            if time.monotonic() + interval > deadline:
                raise ProviderError(
                    f"message batch {batch_id} did not end within {limit:g} s "
                    f"({current.processing_status}, {current.request_counts['processing']} requests "
                    f"processing); it keeps running: wait again or cancel it"
                )
            await asyncio.sleep(interval)

    async def cancel(self, batch_id: str) -> BatchStatus:
        """Ask Anthropic to cancel the batch; unprocessed requests end ``canceled``."""
        check_batch_id(batch_id)
        batch = await self._clients.call(
            "messages.batches.cancel", lambda c: c.messages.batches.cancel(batch_id)
        )
        return _status(batch)

    async def results(self, batch_id: str) -> list[BatchResult]:
        """Fetch the results of an ended batch, priced and recorded (once per batch)."""
        check_batch_id(batch_id)

        async def fetch(client: Any) -> list[Any]:
            decoder = await client.messages.batches.results(batch_id)
            return [line async for line in decoder]

        lines = await self._clients.call("messages.batches.results", fetch)
        submitted = self._submitted.get(batch_id, {})
        order = {custom_id: i for i, custom_id in enumerate(submitted)}
        lines.sort(key=lambda line: order.get(line.custom_id, len(order)))
        results = [self._result(batch_id, line, submitted.get(line.custom_id)) for line in lines]
        if batch_id not in self._recorded:
            self._recorded.add(batch_id)
            for result in results:
                self._record(self._usage_record(batch_id, result, submitted.get(result.custom_id)))
        return results

    async def run(
        self,
        requests: Requests,
        *,
        poll_interval: float | None = None,
        timeout: float | None = None,
    ) -> list[BatchResult]:
        """Submit, wait and fetch: one result per request, in submission order."""
        batch_id = await self.submit(requests)
        await self.wait(batch_id, poll_interval=poll_interval, timeout=timeout)
        return await self.results(batch_id)

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop's client."""
        await self._clients.aclose()

    # -- mapping ---------------------------------------------------------------------

    def _result(self, batch_id: str, line: Any, request: LLMRequest | None) -> BatchResult:
        outcome = line.result
        if outcome.type == "succeeded":
            message = outcome.message
            usage = usage_from(message.usage)
            response = LLMResponse(
                text=reply_text(message),
                model=message.model,
                usage=usage,
                provider=PROVIDER,
                stop_reason=message.stop_reason,
                request_id=batch_id,
                message_id=message.id,
            )
            cost = self.config.price_table().cost(message.model, usage, batch=True)
            return BatchResult(line.custom_id, True, response=response, cost=cost)
        if outcome.type == "errored":
            error = outcome.error.error
            text = f"errored: {error.type}: {error.message}"
        else:
            text = f"{outcome.type}: {UNPROCESSED.get(outcome.type, 'not processed')}"
        return BatchResult(line.custom_id, False, error=text, result_type=outcome.type)

    def _tier_of(self, model: str, request: LLMRequest | None) -> str:
        if request is not None:
            return ModelTier.parse(request.tier).value
        for tier in ModelTier:
            if re.fullmatch(re.escape(self.config.model_for(tier)) + r"(-\d{8}|-latest)?", model):
                return tier.value
        return ""

    def _usage_record(self, batch_id: str, result: BatchResult, request: LLMRequest | None) -> UsageRecord:
        if result.response is not None:
            model, usage = result.response.model, result.response.usage
        else:
            model = (request.model or self.config.model_for(request.tier)) if request else ""
            usage = Usage()
        return UsageRecord(
            workflow=self.workflow,
            stage=self.stage,
            tier=self._tier_of(model, request),
            provider=PROVIDER,
            model=model,
            usage=usage,
            cost=result.cost,
            success=result.success,
            error=result.error,
            batch=True,
            request_id=batch_id,
            user_id=self.user_id,
        )
