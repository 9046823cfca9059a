"""Cost through the engine equals a recomputation from the raw API usage and pricing.json."""

from __future__ import annotations

from typing import Any

import pytest

from empathy_core import EmpathyConfig, LLMRequest, ModelTier, TierDefaults


def raw_usage(fake_anthropic: Any, request_id: str) -> tuple[str, dict[str, Any]]:
    [sent] = [r for r in fake_anthropic.received("/v1/messages") if r.request_id == request_id]
    return sent.response["model"], sent.response["usage"]


def test_plain_and_cached_calls_cost_what_the_raw_usage_says(
    engine: Any, run_call: Any, fake_anthropic: Any, cached_request: Any, recompute: Any
) -> None:
    empathy, collector = engine()
    calls = [
        LLMRequest.from_text("Plain question.", tier=ModelTier.CHEAP),
        cached_request(tier=ModelTier.CAPABLE),  # cache write (5 min)
        cached_request("Follow-up.", tier=ModelTier.CAPABLE),  # cache read
        cached_request(tier=ModelTier.PREMIUM, cache_ttl="1h"),  # cache write (1 h)
    ]
    for request in calls:
        result, _ = run_call(empathy, request)
        assert result.succeeded, result.error

    assert len(collector.records) == 4
    kinds = set()
    for record in collector.records:
        model, usage = raw_usage(fake_anthropic, record.request_id)
        assert record.model == model and record.batch is False and record.success
        assert record.cost == pytest.approx(recompute(model, usage), abs=1e-9)
        assert record.usage.total_input_tokens == (
            usage["input_tokens"] + usage["cache_creation_input_tokens"] + usage["cache_read_input_tokens"]
        )
        kinds.add(
            (
                usage["cache_creation"]["ephemeral_5m_input_tokens"] > 0,
                usage["cache_creation"]["ephemeral_1h_input_tokens"] > 0,
                usage["cache_read_input_tokens"] > 0,
            )
        )
    assert kinds == {(False, False, False), (True, False, False), (False, False, True), (False, True, False)}


def test_date_suffixed_model_cost(engine: Any, run_call: Any, fake_anthropic: Any, recompute: Any) -> None:
    empathy, collector = engine(
        EmpathyConfig(tier_defaults=TierDefaults(capable="claude-sonnet-4-6-20260101"))
    )
    result, response = run_call(empathy, LLMRequest.from_text("Dated model."))
    assert result.succeeded and response.model == "claude-sonnet-4-6-20260101"
    [record] = collector.records
    model, usage = raw_usage(fake_anthropic, record.request_id)
    assert record.cost == pytest.approx(recompute(model, usage), abs=1e-9) and record.cost > 0


def test_failed_call_is_recorded_with_zero_cost(engine: Any, run_call: Any, fake_anthropic: Any) -> None:
    empathy, collector = engine()
    fake_anthropic.fail_always(500, retry_after=0.01)
    result, _ = run_call(empathy, LLMRequest.from_text("Will fail."))
    assert result.status == "failed" and "500 api_error" in (result.error or "")
    sent = fake_anthropic.received("/v1/messages")
    assert len(sent) == 3  # the first attempt and max_retries (2) retries: one record each
    assert [(r.success, r.cost, r.request_id) for r in collector.records] == [
        (False, 0.0, attempt.request_id) for attempt in sent
    ]
    assert all(r.error and "ProviderError" in r.error for r in collector.records)
