"""AnthropicProvider through the real SDK against the fake Anthropic server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from empathy_anthropic.messages import estimate_tokens
from empathy_core import EmpathyConfig, LLMRequest, ModelTier, TierDefaults, Usage, default_table


def test_plain_call_maps_text_usage_and_ids(make_provider: Any, fake_anthropic: Any) -> None:
    provider = make_provider()
    response = asyncio.run(
        provider.complete(LLMRequest.from_text("Name three colours.", tier=ModelTier.CHEAP))
    )

    [sent] = fake_anthropic.received("/v1/messages")
    raw = sent.response
    assert sent.body["model"] == "claude-haiku-4-5"
    assert sent.body["messages"] == [{"role": "user", "content": "Name three colours."}]
    assert "system" not in sent.body and "temperature" not in sent.body
    assert response.text == raw["content"][0]["text"]
    assert response.model == "claude-haiku-4-5" and response.provider == "anthropic"
    assert response.request_id == sent.request_id and response.message_id == raw["id"]
    assert response.stop_reason == "end_turn"
    assert response.usage == Usage(
        input_tokens=raw["usage"]["input_tokens"], output_tokens=raw["usage"]["output_tokens"]
    )


def test_tiers_map_to_configured_models(make_provider: Any, fake_anthropic: Any) -> None:
    provider = make_provider()
    assert [provider.model_for(t) for t in ModelTier] == [
        "claude-haiku-4-5",
        "claude-sonnet-4-6",
        "claude-opus-4-6",
    ]
    request = LLMRequest.from_text("hi", tier=ModelTier.PREMIUM, max_tokens=64, temperature=0.2)
    asyncio.run(provider.complete(request))
    asyncio.run(provider.complete(LLMRequest.from_text("hi", model="claude-opus-4-5")))
    first, second = (r.body for r in fake_anthropic.received("/v1/messages"))
    assert (first["model"], first["max_tokens"], first["temperature"]) == ("claude-opus-4-6", 64, 0.2)
    assert second["model"] == "claude-opus-4-5"


def test_date_suffixed_model_is_priced(make_provider: Any) -> None:
    config = EmpathyConfig(tier_defaults=TierDefaults(cheap="claude-haiku-4-5-20251001"))
    provider = make_provider(config)
    response = asyncio.run(provider.complete(LLMRequest.from_text("hello", tier=ModelTier.CHEAP)))
    assert response.model == "claude-haiku-4-5-20251001"
    expected = default_table().cost("claude-haiku-4-5", response.usage)
    assert config.price_table().cost(response.model, response.usage) == pytest.approx(expected, abs=1e-12)
    assert expected > 0


def test_stable_prefix_is_written_then_read_from_the_cache(
    make_provider: Any, fake_anthropic: Any, cached_request: Any
) -> None:
    provider = make_provider()
    first = asyncio.run(provider.complete(cached_request()))
    second = asyncio.run(provider.complete(cached_request("Another question.")))

    body = fake_anthropic.received("/v1/messages")[0].body
    assert body["system"] == [
        {"type": "text", "text": "You are terse."},
        {"type": "text", "text": cached_request().cached_context, "cache_control": {"type": "ephemeral"}},
    ]
    prefix = first.usage.cache_write_5m_tokens
    assert prefix > 1024
    assert (first.usage.cache_read_tokens, first.usage.cache_write_1h_tokens) == (0, 0)
    assert second.usage.cache_read_tokens == prefix
    assert second.usage.cache_creation_tokens == 0
    assert second.usage.input_tokens > 0


def test_one_hour_ttl_from_request_or_settings(
    make_provider: Any, fake_anthropic: Any, cached_request: Any
) -> None:
    by_request = asyncio.run(make_provider().complete(cached_request(cache_ttl="1h")))
    assert by_request.usage.cache_write_1h_tokens > 0 and by_request.usage.cache_write_5m_tokens == 0
    fake_anthropic.reset()
    by_settings = asyncio.run(make_provider(cache_ttl="1h").complete(cached_request()))
    assert by_settings.usage.cache_write_1h_tokens == by_request.usage.cache_write_1h_tokens
    control = fake_anthropic.received("/v1/messages")[0].body["system"][-1]["cache_control"]
    assert control == {"type": "ephemeral", "ttl": "1h"}


def test_cache_prefix_off_sends_no_cache_control(
    make_provider: Any, fake_anthropic: Any, cached_request: Any
) -> None:
    response = asyncio.run(make_provider().complete(cached_request(cache_prefix=False)))
    body = fake_anthropic.received("/v1/messages")[0].body
    assert all("cache_control" not in block for block in body["system"])
    assert response.usage.cache_creation_tokens == 0 and response.usage.input_tokens > 1024


def test_count_tokens_uses_the_api_with_a_key(
    make_provider: Any, fake_anthropic: Any, cached_request: Any
) -> None:
    provider = make_provider()
    request = cached_request()
    counted = asyncio.run(provider.count_tokens(request))
    sent = fake_anthropic.received("/v1/messages/count_tokens")
    assert len(sent) == 1 and "max_tokens" not in sent[0].body
    assert counted == sent[0].response["input_tokens"]
    usage = asyncio.run(provider.complete(request)).usage
    assert counted == usage.total_input_tokens


def test_count_tokens_offline_without_a_key(
    make_provider: Any, fake_anthropic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    request = LLMRequest.from_text("x" * 40, system="y" * 19)
    assert asyncio.run(make_provider().count_tokens(request)) == estimate_tokens(request) == 15 + 3
    assert fake_anthropic.received() == []


def test_estimate_cost_is_an_offline_upper_bound(make_provider: Any, fake_anthropic: Any) -> None:
    provider = make_provider()
    request = LLMRequest.from_text("a" * 400, max_tokens=1000)
    cheap = provider.estimate_cost(request, "cheap")
    premium = provider.estimate_cost(request, ModelTier.PREMIUM)
    assert cheap == pytest.approx((103 * 1.0 + 1000 * 5.0) / 1e6)
    assert premium == pytest.approx((103 * 5.0 + 1000 * 25.0) / 1e6)
    assert provider.estimate_cost(request, "cheap", output_tokens=0) == pytest.approx(103 / 1e6)
    assert fake_anthropic.received() == []


def test_one_provider_serves_several_event_loops(make_provider: Any) -> None:
    provider = make_provider()
    for _ in range(3):
        assert asyncio.run(provider.complete(LLMRequest.from_text("again"))).text


def test_concurrent_calls_share_one_client(make_provider: Any, fake_anthropic: Any) -> None:
    provider = make_provider()

    async def many() -> list[Any]:
        try:
            return await asyncio.gather(
                *(provider.complete(LLMRequest.from_text(f"question {i}")) for i in range(20))
            )
        finally:
            await provider.aclose()

    responses = asyncio.run(many())
    assert [f"question {i}" in r.text for i, r in enumerate(responses)] == [True] * 20
    assert len(fake_anthropic.received("/v1/messages")) == 20
