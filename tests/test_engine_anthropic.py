"""The engine end to end with the real Anthropic SDK talking to the fake API server."""

import pytest

import empathy_anthropic.plugin as anthropic_plugin
from empathy_core import BaseWorkflow, ModelTier, Usage, default_table

CONTEXT = "def handler(request):\n    return request.user.id\n" * 200  # well over 1024 tokens


class CachedReview(BaseWorkflow):
    name = "cached-review"
    stages = ["first", "second"]
    tier_map = {"first": ModelTier.CHEAP, "second": ModelTier.CHEAP}

    async def run_stage(self, stage_name, tier, input_data):
        reply = await self._call_llm(tier, "Review the code.", f"{stage_name} pass", cached_context=CONTEXT)
        return {stage_name: reply.text}, reply.usage.total_input_tokens, reply.usage.output_tokens


@pytest.fixture
def records(empathy, usage_records):
    empathy.plugins.append(anthropic_plugin)
    return usage_records


def test_stages_write_then_read_the_prompt_cache(fake_anthropic, records, run_workflow):
    result = run_workflow(CachedReview, provider="anthropic")
    assert result.status == "success", result.error
    first, second = records
    assert first.model == second.model == "claude-haiku-4-5"
    assert first.usage.cache_write_5m_tokens > 1024 and first.usage.cache_read_tokens == 0
    assert second.usage.cache_read_tokens == first.usage.cache_write_5m_tokens
    assert second.cache_hit and not first.cache_hit
    assert first.request_id and first.request_id != second.request_id


def test_recorded_cost_equals_recomputation_from_raw_usage(fake_anthropic, records, run_workflow):
    result = run_workflow(CachedReview, provider="anthropic")
    answered = [r.response for r in fake_anthropic.requests if r.path == "/v1/messages"]
    assert len(answered) == len(records) == 2
    for record, raw in zip(records, answered, strict=True):
        usage = raw["usage"]
        creation = usage.get("cache_creation") or {}
        recomputed = default_table().cost(
            raw["model"],
            Usage(
                input_tokens=usage["input_tokens"],
                output_tokens=usage["output_tokens"],
                cache_write_5m_tokens=creation.get("ephemeral_5m_input_tokens", 0),
                cache_write_1h_tokens=creation.get("ephemeral_1h_input_tokens", 0),
                cache_read_tokens=usage.get("cache_read_input_tokens", 0),
            ),
        )
        assert record.cost == pytest.approx(recomputed, abs=1e-9)
        assert record.cost > 0
    assert result.cost == pytest.approx(sum(r.cost for r in records), abs=1e-12)


def test_provider_failure_fails_the_stage_and_records_every_attempt_at_zero_cost(
    fake_anthropic, empathy, records, run_workflow
):
    from empathy_anthropic.settings import AnthropicSettings

    fake_anthropic.fail_always(500)
    result = run_workflow(CachedReview, provider="anthropic")
    assert result.status == "failed" and result.failed_stage == "first"
    assert "500" in result.error
    # retries go through the LLM middleware chain: one record per HTTP attempt, in order
    attempts = [r for r in fake_anthropic.requests if r.path == "/v1/messages"]
    assert len(attempts) == empathy.settings(AnthropicSettings).max_retries + 1
    assert [r.request_id for r in records] == [a.request_id for a in attempts]
    assert all(r.success is False and r.cost == 0.0 for r in records)
    assert records[-1].request_id in result.error
