"""A deterministic, offline LLM provider for tests and dry runs.

Replies are derived from a hash of the request, token counts from a fixed
characters-per-token estimate, and models are ``mock-<tier>`` (priced at $0 in the
pricing file), so a mock run never reports money that was not spent.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import attrs

from empathy_core import LLMRequest, LLMResponse, ModelTier, ProviderError, Usage

CHARS_PER_TOKEN = 4


@attrs.define
class MockSettings:
    """``plugins.settings.empathy-testing``: the mock provider's behaviour."""

    latency_ms: float = 0.0
    """Milliseconds each call waits before answering."""
    fail_on: list[str] = attrs.Factory(list)
    """Markers: a request whose text contains one fails with a ProviderError (status 500)."""
    reply_words: int = 12
    """Words in each deterministic reply."""


def estimate_tokens(text: str) -> int:
    """At least one token per started ``CHARS_PER_TOKEN`` characters."""
    return max(1, -(-len(text) // CHARS_PER_TOKEN)) if text else 0


def _request_text(request: LLMRequest) -> str:
    parts = [request.system, request.cached_context]
    parts += [str(m.get("content", "")) for m in request.messages]
    return "\n".join(p for p in parts if p)


@attrs.define
class MockProvider:
    """Provider ``mock``: deterministic replies, exact usage, optional scripted failures.

    A request whose text contains any of ``settings.fail_on`` raises
    :class:`~empathy_core.ProviderError` with status 500.
    """

    settings: MockSettings = attrs.Factory(MockSettings)
    name: str = "mock"
    calls: int = 0

    @classmethod
    def from_config(cls, empathy: Any, settings: MockSettings | None) -> MockProvider:
        return cls(settings or MockSettings())

    def model_for(self, tier: ModelTier | str) -> str:
        return f"mock-{ModelTier.parse(tier).value}"

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        if self.settings.latency_ms:
            await asyncio.sleep(self.settings.latency_ms / 1000)
        text = _request_text(request)
        request_id = f"req_mock_{self.calls:06d}"
        for marker in self.settings.fail_on:
            if marker in text:
                raise ProviderError(
                    f"mock provider: scripted failure on {marker!r} (status 500, request {request_id})",
                    status=500,
                    request_id=request_id,
                )
        digest = hashlib.sha256(text.encode()).hexdigest()
        words = [digest[i : i + 5] for i in range(0, 5 * self.settings.reply_words, 5)]
        reply = f"mock reply {' '.join(words)}"
        model = request.model or self.model_for(request.tier)
        usage = Usage(input_tokens=estimate_tokens(text), output_tokens=estimate_tokens(reply))
        return LLMResponse(
            text=reply,
            model=model,
            usage=usage,
            provider=self.name,
            stop_reason="end_turn",
            request_id=request_id,
            message_id=f"msg_mock_{digest[:16]}",
        )
