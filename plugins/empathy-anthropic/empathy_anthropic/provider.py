"""``AnthropicProvider``: the ``anthropic`` provider, Claude through ``AsyncAnthropic``.

Who retries depends on how ``complete`` is reached: through the runtime's LLM middleware
chain, the plugin's retry middleware does (one HTTP attempt per ``complete``, so one
usage record per attempt); called directly, the SDK does. See :mod:`empathy_anthropic.retry`.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from empathy_anthropic.client import ClientHolder, resolve_api_key
from empathy_anthropic.messages import (
    create_params,
    effective_ttl,
    estimate_tokens,
    prompt_params,
    reply_text,
    sdk_kwargs,
    usage_from,
)
from empathy_anthropic.retry import RETRY_COUNT_HEADER, current_attempt
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import LLMRequest, LLMResponse, ModelTier, Usage

if TYPE_CHECKING:
    from empathy_core import Empathy


@attrs.define
class AnthropicProvider:
    """Runs :class:`LLMRequest` on Claude and reports Anthropic's exact usage.

    The tier's model comes from ``config.model_for(tier)`` unless the request names one.
    The stable prefix (system + cached context) is marked for prompt caching when
    ``request.cache_prefix``. A failure raises one :class:`~empathy_core.ProviderError`
    with status and request id, after the retries (the retry middleware's within the
    runtime, the SDK's when called directly).
    """

    name: ClassVar[str] = "anthropic"

    config: Any = attrs.field(repr=False)
    settings: AnthropicSettings = attrs.Factory(AnthropicSettings)
    _clients: ClientHolder = attrs.field(init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._clients = ClientHolder(self.config, self.settings)

    @classmethod
    def from_config(cls, empathy: Empathy, settings: AnthropicSettings | None = None) -> AnthropicProvider:
        """The provider factory registered under ``anthropic``: ``factory(empathy, settings)``."""
        return cls(empathy.config, settings or AnthropicSettings())

    def model_for(self, tier: ModelTier | str) -> str:
        """The configured model id of ``tier``."""
        return self.config.model_for(tier)

    def _model(self, request: LLMRequest, tier: ModelTier | str | None = None) -> str:
        return request.model or self.model_for(tier if tier is not None else request.tier)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """One Messages API call; ``usage`` keeps cache writes (by TTL) and reads apart.

        Within the retry middleware this is exactly one HTTP attempt; otherwise the SDK
        retries up to ``settings.max_retries`` times.
        """
        params = create_params(request, self._model(request), effective_ttl(request, self.settings.cache_ttl))
        started = time.perf_counter()
        kwargs = sdk_kwargs(params)
        attempt = current_attempt()
        if attempt is not None:
            kwargs["extra_headers"] = {RETRY_COUNT_HEADER: str(attempt)}
        message = await self._clients.call(
            "messages.create", lambda c: c.messages.create(**kwargs), attempt=attempt
        )
        return LLMResponse(
            text=reply_text(message),
            model=message.model,
            usage=usage_from(message.usage),
            provider=self.name,
            stop_reason=message.stop_reason,
            request_id=message._request_id,
            message_id=message.id,
            duration_ms=(time.perf_counter() - started) * 1000,
        )

    async def count_tokens(self, request: LLMRequest) -> int:
        """Input tokens of ``request``: the API's count with a key, else :func:`estimate_tokens`."""
        if resolve_api_key(self.config) is None:
            return estimate_tokens(request)
        params = prompt_params(request, self._model(request), effective_ttl(request, self.settings.cache_ttl))
        counted = await self._clients.call(
            "messages.count_tokens", lambda c: c.messages.count_tokens(**params)
        )
        return counted.input_tokens

    def estimate_cost(
        self,
        request: LLMRequest,
        tier: ModelTier | str | None = None,
        *,
        output_tokens: int | None = None,
    ) -> float:
        """Offline upper-bound cost in USD: estimated input, ``max_tokens`` output, no cache."""
        usage = Usage(
            input_tokens=estimate_tokens(request),
            output_tokens=request.max_tokens if output_tokens is None else output_tokens,
        )
        return self.config.price_table().cost(self._model(request, tier), usage)

    async def aclose(self) -> None:
        """Close the HTTP connections of the current event loop's client."""
        await self._clients.aclose()
