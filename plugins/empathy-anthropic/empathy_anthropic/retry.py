"""Retries of ``messages.create`` as an LLM middleware, so that telemetry sees every attempt.

The SDK retries inside one ``messages.create`` call. Through the runtime that is one
``provider.complete`` and therefore one usage record for up to ``max_retries + 1`` HTTP
attempts: failed attempts were never recorded. So inside the runtime's LLM middleware
chain the plugin's middleware (registered with ``empathy_llm_middleware``) makes the
retries itself: the provider asks the SDK for exactly one attempt each time, every
attempt passes through the core's telemetry middleware (the innermost one) and becomes
one record (a failed attempt ``success=False`` at zero cost), and the outcome of the
last attempt is the call's. The policy is the SDK's own (``anthropic._base_client``):

- retried: 408, 409, 429, every 5xx (529 ``overloaded_error`` included), timeouts and
  connection failures; an ``x-should-retry: true|false`` header overrides the status;
- at most ``settings.max_retries`` retries (0-10, default 2);
- the wait is what the API asks (``retry-after-ms``, else ``retry-after`` in seconds or
  as an HTTP date), else ``min(0.5 x 2^n, 8)`` seconds for the n-th retry, less up to a
  quarter of random jitter;
- the attempt number goes out in ``x-stainless-retry-count``, as the SDK sends it.

Called directly, without the runtime (or on a runtime without this plugin),
``AnthropicProvider.complete`` keeps the SDK's own retries with the same settings, so
the provider is exactly as resilient on its own: there is no telemetry middleware there
to record the attempts one by one. ``count_tokens`` and the Message Batches calls are
not LLM calls of the chain and always use the SDK's retries. Cancellation (Ctrl-C) is
never retried: it ends the in-flight attempt, which telemetry records as ``cancelled``.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core import ProviderError

if TYPE_CHECKING:
    from empathy_core import LLMCallContext, LLMResponse

log = logging.getLogger("empathy.anthropic")

INITIAL_RETRY_DELAY = 0.5
"""Seconds before the first retry without ``retry-after`` (the SDK's ``INITIAL_RETRY_DELAY``)."""
MAX_RETRY_DELAY = 8.0
"""Longest exponential backoff, in seconds (the SDK's ``MAX_RETRY_DELAY``)."""
MAX_RETRY_AFTER = 4_294_967.0
"""Longest ``retry-after`` honoured, in seconds: the SDK's cap (the longest sleep every platform allows)."""
RETRYABLE_STATUSES = frozenset({408, 409, 429})
"""Statuses retried besides every 5xx: request timeout, lock timeout, rate limit."""
RETRY_COUNT_HEADER = "x-stainless-retry-count"

_attempt: ContextVar[int | None] = ContextVar("empathy_anthropic_attempt", default=None)


@attrs.frozen
class RetryAdvice:
    """What one failed attempt says about retrying: whether to, and the wait the API asked for."""

    retryable: bool
    retry_after: float | None = None


def should_retry_status(status: int, headers: Mapping[str, str]) -> bool:
    """Whether the SDK retries a response with ``status``: ``x-should-retry`` first, then
    408, 409, 429 and every 5xx."""
    flag = headers.get("x-should-retry")
    if flag == "true":
        return True
    if flag == "false":
        return False
    return status in RETRYABLE_STATUSES or status >= 500


def parse_retry_after(headers: Mapping[str, str], now: Callable[[], float] = time.time) -> float | None:
    """Seconds the API asked to wait: ``retry-after-ms``, else ``retry-after`` as seconds
    or as an HTTP date; ``None`` when absent or unreadable."""
    try:
        return float(headers["retry-after-ms"]) / 1000
    except (KeyError, TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    moment = email.utils.parsedate_tz(value)
    return None if moment is None else float(email.utils.mktime_tz(moment) - now())


def retry_delay(
    retries_taken: int, retry_after: float | None, jitter: Callable[[], float] = random.random
) -> float:
    """Seconds to wait before retry number ``retries_taken + 1``, as the SDK computes them."""
    if retry_after is not None and retry_after > 0:
        return min(retry_after, MAX_RETRY_AFTER)
    backoff = min(INITIAL_RETRY_DELAY * 2.0 ** min(retries_taken, 1000), MAX_RETRY_DELAY)
    return max(backoff * (1 - 0.25 * jitter()), 0.0)


def will_retry(advice: RetryAdvice, attempt: int | None, max_retries: int) -> bool:
    """Whether the middleware retries after attempt ``attempt`` (0 = the first) failed;
    never when ``attempt`` is ``None`` (the SDK made the retries)."""
    return advice.retryable and attempt is not None and attempt < max_retries


def with_advice(error: ProviderError, advice: RetryAdvice) -> ProviderError:
    """``error``, carrying ``advice`` for the retry middleware (the type stays ``ProviderError``)."""
    error.anthropic_retry = advice  # type: ignore[attr-defined]
    return error


def advice_of(error: BaseException) -> RetryAdvice | None:
    """The :class:`RetryAdvice` an attempt's ``ProviderError`` carries, ``None`` for anything else."""
    advice = getattr(error, "anthropic_retry", None)
    return advice if isinstance(error, ProviderError) and isinstance(advice, RetryAdvice) else None


def current_attempt() -> int | None:
    """Within the retry middleware: the retries made before this attempt (0 for the first);
    ``None`` outside it, where the SDK makes the retries."""
    return _attempt.get()


Handler = Callable[["LLMCallContext"], Awaitable["LLMResponse"]]


def make_retry_middleware() -> Callable[[LLMCallContext, Handler], Awaitable[LLMResponse]]:
    """The LLM middleware retrying calls to an :class:`~empathy_anthropic.provider.AnthropicProvider`;
    calls to any other provider pass through untouched."""
    from empathy_anthropic.provider import AnthropicProvider

    async def retry_anthropic_calls(ctx: LLMCallContext, call_next: Handler) -> LLMResponse:
        provider: Any = ctx.provider
        if not isinstance(provider, AnthropicProvider):
            return await call_next(ctx)
        max_retries = provider.settings.max_retries
        retries_taken = 0
        while True:
            token = _attempt.set(retries_taken)
            try:
                return await call_next(ctx)
            except ProviderError as exc:
                advice = advice_of(exc)
                if advice is None or not will_retry(advice, retries_taken, max_retries):
                    raise
                delay = retry_delay(retries_taken, advice.retry_after)
                log.info("anthropic: %s; retrying in %.2f s", exc, delay)
            finally:
                _attempt.reset(token)
            await asyncio.sleep(delay)
            retries_taken += 1

    return retry_anthropic_calls
