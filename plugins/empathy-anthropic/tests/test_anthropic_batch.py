"""AnthropicBatchProvider: Message Batches through the real SDK against the fake server."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from empathy_anthropic.batch import AnthropicBatchProvider
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import EmpathyConfig, LLMRequest, ModelTier, ProviderError, UsageRecord


def quick_batches(config: EmpathyConfig | None = None) -> EmpathyConfig:
    """``config`` (default: a new one) polling every 10 ms for at most 5 s; set in code,
    since a config file may not ask for polls less than a second apart."""
    config = config or EmpathyConfig()
    config.batch.poll_interval, config.batch.timeout = 0.01, 5.0
    return config


@pytest.fixture
def records() -> list[UsageRecord]:
    return []


@pytest.fixture
def batches(fake_anthropic: Any, records: list[UsageRecord]) -> AnthropicBatchProvider:
    config = quick_batches()
    return AnthropicBatchProvider(
        config, AnthropicSettings(max_retries=0), record_usage=records.append, workflow="nightly"
    )


def test_round_trip_maps_every_result_and_records_each_request(
    batches: AnthropicBatchProvider,
    fake_anthropic: Any,
    records: list[UsageRecord],
    recompute: Any,
) -> None:
    fake_anthropic.batches.expired_ids.add("too-late")
    requests = {
        "summary": LLMRequest.from_text("Summarise the logs.", tier=ModelTier.CHEAP),
        "report": LLMRequest.from_text("Write the report.", tier=ModelTier.PREMIUM),
        "broken": LLMRequest.from_text("Fail please [[fake-error]]", tier=ModelTier.CAPABLE),
        "too-late": LLMRequest.from_text("Never processed."),
    }
    results = asyncio.run(batches.run(requests))

    assert [r.custom_id for r in results] == list(requests)
    summary, report, broken, late = results
    assert summary.success and summary.result_type == "succeeded"
    assert summary.response is not None and summary.response.model == "claude-haiku-4-5"
    assert report.response is not None and report.response.model == "claude-opus-4-6"
    assert not broken.success and broken.result_type == "errored" and broken.response is None
    assert broken.error is not None and broken.error.startswith("errored: invalid_request_error: fake error")
    assert (late.success, late.result_type, late.cost) == (False, "expired", 0.0)

    [created] = fake_anthropic.received("/v1/messages/batches")
    [sent_results] = [r for r in fake_anthropic.received() if r.path.endswith("/results")]
    assert [item["params"]["model"] for item in created.body["requests"]] == [
        "claude-haiku-4-5",
        "claude-opus-4-6",
        "claude-sonnet-4-6",
        "claude-sonnet-4-6",
    ]
    raw = {line["custom_id"]: line["result"] for line in sent_results.response}
    for result in (summary, report):
        message = raw[result.custom_id]["message"]
        assert result.response.usage.input_tokens == message["usage"]["input_tokens"]
        assert result.cost == pytest.approx(
            recompute(message["model"], message["usage"], batch=True), abs=1e-9
        )
        assert result.cost == pytest.approx(recompute(message["model"], message["usage"]) / 2, abs=1e-12)
        assert result.cost > 0

    assert [(r.stage, r.workflow, r.batch, r.success) for r in records] == [
        ("batch", "nightly", True, True),
        ("batch", "nightly", True, True),
        ("batch", "nightly", True, False),
        ("batch", "nightly", True, False),
    ]
    assert [r.tier for r in records] == ["cheap", "premium", "capable", "capable"]
    assert [r.cost for r in records] == [summary.cost, report.cost, 0.0, 0.0]
    assert records[2].error == broken.error and records[2].usage.total_tokens == 0
    assert records[2].model == "claude-sonnet-4-6"
    assert {r.request_id for r in records} == {created.response["id"]}


def test_configured_error_ids_become_errored_results(
    batches: AnthropicBatchProvider, fake_anthropic: Any
) -> None:
    fake_anthropic.batches.error_ids.add("b")
    results = asyncio.run(batches.run([("a", LLMRequest.from_text("x")), ("b", LLMRequest.from_text("y"))]))
    assert [(r.custom_id, r.success) for r in results] == [("a", True), ("b", False)]


def test_cancel_ends_with_every_request_canceled(
    batches: AnthropicBatchProvider, fake_anthropic: Any, records: list[UsageRecord]
) -> None:
    async def scenario() -> tuple[Any, Any, list[Any]]:
        batch_id = await batches.submit({"a": LLMRequest.from_text("x"), "b": LLMRequest.from_text("y")})
        canceling = await batches.cancel(batch_id)
        ended = await batches.wait(batch_id)
        return canceling, ended, await batches.results(batch_id)

    canceling, ended, results = asyncio.run(scenario())
    assert canceling.processing_status == "canceling"
    assert ended.ended and ended.request_counts == {
        "processing": 0,
        "succeeded": 0,
        "errored": 0,
        "canceled": 2,
        "expired": 0,
    }
    assert [r.result_type for r in results] == ["canceled", "canceled"]
    assert all(r.error and r.error.startswith("canceled:") for r in results)
    assert [(r.success, r.cost, r.batch) for r in records] == [(False, 0.0, True)] * 2


def test_status_counts_requests_while_processing(batches: AnthropicBatchProvider) -> None:
    async def scenario() -> Any:
        batch_id = await batches.submit({"a": LLMRequest.from_text("x")})
        return await batches.status(batch_id)

    status = asyncio.run(scenario())
    assert status.processing_status == "in_progress" and not status.ended
    assert status.request_counts["processing"] == 1 and status.created_at is not None


def test_results_are_recorded_once(batches: AnthropicBatchProvider, records: list[UsageRecord]) -> None:
    async def scenario() -> None:
        batch_id = await batches.submit({"a": LLMRequest.from_text("x")})
        await batches.wait(batch_id)
        first = await batches.results(batch_id)
        again = await batches.results(batch_id)
        assert first == again

    asyncio.run(scenario())
    assert len(records) == 1


def test_results_of_a_batch_submitted_elsewhere(fake_anthropic: Any, records: list[UsageRecord]) -> None:
    config = quick_batches()
    submitter = AnthropicBatchProvider(config, record_usage=lambda r: None)
    reader = AnthropicBatchProvider(config, record_usage=records.append)

    async def scenario() -> list[Any]:
        batch_id = await submitter.submit({"x": LLMRequest.from_text("x", tier=ModelTier.CHEAP)})
        await reader.wait(batch_id)
        return await reader.results(batch_id)

    [result] = asyncio.run(scenario())
    assert result.success and records[0].tier == "cheap" and records[0].model == "claude-haiku-4-5"


def test_wait_times_out_naming_the_batch(batches: AnthropicBatchProvider, fake_anthropic: Any) -> None:
    fake_anthropic.batches.polls_to_end = 1000

    async def scenario() -> str:
        batch_id = await batches.submit({"a": LLMRequest.from_text("x")})
        with pytest.raises(ProviderError, match=f"{batch_id} did not end within 0.05 s") as err:
            await batches.wait(batch_id, poll_interval=0.01, timeout=0.05)
        assert "1 requests processing" in str(err.value)
        return batch_id

    batch_id = asyncio.run(scenario())
    assert asyncio.run(batches.status(batch_id)).processing_status == "in_progress"


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ({}, "at least one request"),
        ({"bad id!": LLMRequest.from_text("x")}, "invalid batch custom_id"),
        ([("a", LLMRequest.from_text("x")), ("a", LLMRequest.from_text("y"))], "used twice"),
    ],
)
def test_invalid_requests_fail_before_submitting(
    batches: AnthropicBatchProvider, fake_anthropic: Any, requests: Any, message: str
) -> None:
    with pytest.raises(ProviderError, match=message):
        asyncio.run(batches.submit(requests))
    assert fake_anthropic.received() == []


def test_batch_api_errors_are_provider_errors(batches: AnthropicBatchProvider, fake_anthropic: Any) -> None:
    with pytest.raises(ProviderError, match=r"404 not_found_error on messages\.batches\.retrieve"):
        asyncio.run(batches.status("msgbatch_missing"))
    fake_anthropic.fail_next(529)
    with pytest.raises(ProviderError, match=r"529 overloaded_error on messages\.batches\.create"):
        asyncio.run(batches.submit({"a": LLMRequest.from_text("x")}))


def test_default_recording_goes_through_the_runtime(
    fake_anthropic: Any, engine: Any, make_config: Any
) -> None:
    empathy, collector = engine(
        quick_batches(make_config("plugins: {settings: {empathy-anthropic: {max_retries: 4}}}"))
    )
    provider = AnthropicBatchProvider(empathy=empathy)
    assert provider.config is empathy.config and provider.settings.max_retries == 4
    asyncio.run(provider.run({"a": LLMRequest.from_text("x")}))
    assert empathy.flush(timeout=30)
    assert [(r.batch, r.success, r.provider) for r in collector.records] == [(True, True, "anthropic")]
