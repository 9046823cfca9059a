"""Retries through the runtime: every HTTP attempt is one usage record.

Within a runtime the plugin's LLM middleware retries (the SDK is asked for one attempt at
a time), so each attempt passes the core's telemetry middleware: N injected failures
then a success are N + 1 records, the failed ones ``success=False`` at zero cost.
Everything runs the real SDK against the fake Anthropic server; faults are scripted on
the server, never by mocking the SDK.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import empathy_anthropic.plugin as anthropic_plugin
from empathy_anthropic.provider import AnthropicProvider
from empathy_anthropic.retry import (
    INITIAL_RETRY_DELAY,
    MAX_RETRY_AFTER,
    MAX_RETRY_DELAY,
    RETRY_COUNT_HEADER,
    parse_retry_after,
    retry_delay,
    should_retry_status,
)
from empathy_core import BaseWorkflow, LLMRequest, ModelTier, ProviderError
from empathy_testing.pytest_plugin import CliResult


class AskWorkflow(BaseWorkflow):
    """One stage asking ``input["text"]``."""

    name = "ask"
    stages = ("ask",)

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        response = await self.call_llm(LLMRequest.from_text(input_data["text"]))
        return response.text, response.usage.total_input_tokens, response.usage.output_tokens


def settings(make_config: Callable[[str], Any], **values: object) -> Any:
    """A configuration with ``plugins.settings.empathy-anthropic`` set to ``values``."""
    body = ", ".join(f"{key}: {value}" for key, value in values.items())
    return make_config(f"plugins: {{settings: {{empathy-anthropic: {{{body}}}}}}}")


def attempts(fake_anthropic: Any) -> list[Any]:
    return fake_anthropic.received("/v1/messages")


def retry_counts(sent: list[Any]) -> list[str | None]:
    """The ``x-stainless-retry-count`` header of each request, however it was capitalised."""
    return [next((v for k, v in r.headers.items() if k.lower() == RETRY_COUNT_HEADER), None) for r in sent]


# -- N failures then success: N + 1 records ----------------------------------------------


@pytest.mark.parametrize("status", [529, 429, 500, 408, 409])
@pytest.mark.parametrize("failures", [1, 2])
def test_failures_then_success_are_one_record_per_attempt(
    engine: Any, run_call: Any, fake_anthropic: Any, status: int, failures: int
) -> None:
    empathy, collector = engine()
    fake_anthropic.fail_next(status, times=failures, retry_after=0.01)
    result, response = run_call(empathy, LLMRequest.from_text("Retry me."))
    assert result.succeeded, result.error

    sent = attempts(fake_anthropic)
    assert [r.status for r in sent] == [status] * failures + [200]
    assert retry_counts(sent) == [str(n) for n in range(failures + 1)]
    records = collector.records
    assert len(records) == failures + 1
    assert [r.request_id for r in records] == [r.request_id for r in sent]
    *failed, last = records
    for n, record in enumerate(failed, 1):
        assert (record.success, record.cost, record.usage.total_input_tokens) == (False, 0.0, 0)
        assert record.error is not None and record.error.startswith("ProviderError: Anthropic API error")
        assert f"{status} " in record.error and f", attempt {n} of 3, retrying" in record.error
    assert last.success and last.error is None and last.cost > 0
    assert last.request_id == response.request_id
    assert result.cost == pytest.approx(last.cost, abs=1e-12)  # failed attempts cost nothing
    assert {(r.workflow, r.stage, r.provider, r.run_id) for r in records} == {
        ("one-call", "ask", "anthropic", result.run_id)
    }


def test_a_dropped_connection_is_a_failed_attempt_then_retried(
    engine: Any, run_call: Any, fake_anthropic: Any
) -> None:
    empathy, collector = engine()
    fake_anthropic.fail_next("disconnect")
    result, _ = run_call(empathy, LLMRequest.from_text("Again."))
    assert result.succeeded, result.error
    assert [r.status for r in attempts(fake_anthropic)] == [0, 200]
    dropped, answered = collector.records
    assert (dropped.success, dropped.cost) == (False, 0.0)
    assert dropped.error is not None and "cannot reach the Anthropic API" in dropped.error
    assert "attempt 1 of 3, retrying" in dropped.error
    assert answered.success


def test_every_timed_out_attempt_is_recorded(
    engine: Any, run_call: Any, fake_anthropic: Any, make_config: Any
) -> None:
    empathy, collector = engine(settings(make_config, max_retries=1, timeout=0.1))
    fake_anthropic.latency = 0.5
    result, _ = run_call(empathy, LLMRequest.from_text("Slow."))
    assert result.status == "failed" and "timed out on messages.create after 1 retries" in result.error
    assert fake_anthropic.wait_for_arrivals(2, timeout=5) and fake_anthropic.arrived == 2
    first, second = collector.records
    assert not first.success and "timed out on messages.create, attempt 1 of 2, retrying" in first.error
    assert not second.success and "timed out on messages.create after 1 retries" in second.error


# -- when retries end ---------------------------------------------------------------------


def test_configured_max_retries_then_one_provider_error(
    engine: Any, run_call: Any, fake_anthropic: Any, make_config: Any
) -> None:
    empathy, collector = engine(settings(make_config, max_retries=3))
    fake_anthropic.fail_always(529, retry_after=0.01)
    result, _ = run_call(empathy, LLMRequest.from_text("Overloaded."))
    sent = attempts(fake_anthropic)
    assert len(sent) == 4 and retry_counts(sent) == ["0", "1", "2", "3"]
    assert [(r.success, r.cost, r.request_id) for r in collector.records] == [
        (False, 0.0, r.request_id) for r in sent
    ]
    assert result.status == "failed"
    assert "529 overloaded_error on messages.create after 3 retries: Overloaded" in result.error
    assert sent[-1].request_id in result.error and "after 3 retries" in collector.records[-1].error


def test_no_retries_configured_is_one_attempt(
    engine: Any, run_call: Any, fake_anthropic: Any, make_config: Any
) -> None:
    empathy, collector = engine(settings(make_config, max_retries=0))
    fake_anthropic.fail_next(529, retry_after=0.01)
    result, _ = run_call(empathy, LLMRequest.from_text("Once."))
    assert result.status == "failed" and "after 0 retries" in result.error
    assert len(attempts(fake_anthropic)) == 1 and len(collector.records) == 1


@pytest.mark.parametrize(
    ("text", "status"),
    [("Break [[fake-error]]", 400), ("Key", 401)],
)
def test_a_failure_that_is_not_retried_is_one_record(
    engine: Any, run_call: Any, fake_anthropic: Any, text: str, status: int
) -> None:
    if status == 401:
        fake_anthropic.rejected_keys.add(fake_anthropic.env()["ANTHROPIC_API_KEY"])
    empathy, collector = engine()
    result, _ = run_call(empathy, LLMRequest.from_text(text))
    assert result.status == "failed" and "retries" not in result.error and "retrying" not in result.error
    [sent] = attempts(fake_anthropic)
    [record] = collector.records
    assert (sent.status, record.success, record.request_id) == (status, False, sent.request_id)


def test_retry_after_is_waited_for(engine: Any, run_call: Any, fake_anthropic: Any) -> None:
    empathy, collector = engine()
    fake_anthropic.fail_next(429, retry_after=0.4)
    started = time.monotonic()
    result, _ = run_call(empathy, LLMRequest.from_text("Patience."))
    assert result.succeeded and time.monotonic() - started >= 0.4
    assert [r.success for r in collector.records] == [False, True]


def test_without_retry_after_the_backoff_is_the_sdks(engine: Any, run_call: Any, fake_anthropic: Any) -> None:
    empathy, _ = engine()
    fake_anthropic.fail_next(500)  # no retry-after: 0.5 s less up to 25 % jitter
    started = time.monotonic()
    result, _ = run_call(empathy, LLMRequest.from_text("Backoff."))
    assert result.succeeded and time.monotonic() - started >= INITIAL_RETRY_DELAY * 0.75


# -- only Anthropic calls, only within the chain ---------------------------------------------


def test_other_providers_are_not_retried(empathy: Any, usage_records: list[Any], make_config: Any) -> None:
    empathy.config = make_config("plugins: {settings: {empathy-testing: {fail_on: [BOOM]}}}")
    empathy.plugins.append(anthropic_plugin)
    workflow = AskWorkflow(empathy=empathy.get(), provider_name="mock")
    result = asyncio.run(workflow.execute({"text": "BOOM"}))
    assert result.status == "failed" and "scripted failure" in result.error
    assert workflow.provider.calls == 1
    assert empathy.flush(timeout=60)
    [record] = usage_records
    assert record.provider == "mock" and not record.success


def test_called_directly_the_sdk_retries(engine: Any, fake_anthropic: Any) -> None:
    empathy, collector = engine()
    provider = empathy.provider("anthropic")
    assert isinstance(provider, AnthropicProvider) and provider.settings.max_retries == 2
    fake_anthropic.fail_next(529, retry_after=0.01)
    response = asyncio.run(provider.complete(LLMRequest.from_text("Direct.")))
    sent = attempts(fake_anthropic)
    assert [r.status for r in sent] == [529, 200] and retry_counts(sent) == ["0", "1"]
    assert response.request_id == sent[-1].request_id
    fake_anthropic.fail_always(500, retry_after=0.01)
    with pytest.raises(ProviderError, match=r"500 api_error on messages\.create after 2 retries"):
        asyncio.run(provider.complete(LLMRequest.from_text("Direct failure.")))
    assert len(attempts(fake_anthropic)) == 5
    assert empathy.flush(timeout=30) and collector.records == []  # no chain, no records


def test_attempts_equal_records_over_concurrent_calls(engine: Any, fake_anthropic: Any) -> None:
    empathy, collector = engine()
    fake_anthropic.fail_next(529, times=7, retry_after=0.01)
    fake_anthropic.fail_next("disconnect", times=2)
    fake_anthropic.fail_next(429, times=3, retry_after=0.01)

    async def many() -> list[Any]:
        runs = [AskWorkflow(empathy=empathy, provider_name="anthropic") for _ in range(6)]
        return await asyncio.gather(*(w.execute({"text": f"question {i}"}) for i, w in enumerate(runs)))

    results = asyncio.run(many())
    assert empathy.flush(timeout=60)
    sent = attempts(fake_anthropic)
    succeeded = sum(r.succeeded for r in results)
    # every scripted failure is consumed (a call only succeeds once none is left, and six
    # calls of up to three attempts could take 18), and each attempt is one record
    assert len(sent) == 12 + succeeded and len(collector.records) == len(sent)
    assert sorted(r.success for r in collector.records) == [False] * 12 + [True] * succeeded
    assert sorted(r.request_id for r in collector.records if r.success) == sorted(
        r.request_id for r in sent if r.status == 200
    )  # concurrent: the server and the client may see the answers in different orders


# -- cancellation ----------------------------------------------------------------------------


def test_a_cancelled_call_is_recorded_as_cancelled_and_not_retried(engine: Any, fake_anthropic: Any) -> None:
    empathy, collector = engine()
    fake_anthropic.latency = 3.0

    async def scenario() -> None:
        task = asyncio.create_task(
            AskWorkflow(empathy=empathy, provider_name="anthropic").execute({"text": "x"})
        )
        assert await asyncio.to_thread(fake_anthropic.wait_for_arrivals, 1, 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert empathy.flush(timeout=30)
    [record] = collector.records
    assert (record.success, record.error, record.cost) == (False, "cancelled", 0.0)
    assert not fake_anthropic.wait_for_arrivals(2, timeout=0.5)


def test_cancelled_while_waiting_to_retry_sends_nothing_more(engine: Any, fake_anthropic: Any) -> None:
    empathy, collector = engine()
    fake_anthropic.fail_next(529, retry_after=30)

    async def scenario() -> None:
        task = asyncio.create_task(
            AskWorkflow(empathy=empathy, provider_name="anthropic").execute({"text": "x"})
        )
        while not attempts(fake_anthropic):  # answered: the middleware is about to wait 30 s
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    started = time.monotonic()
    asyncio.run(scenario())
    assert time.monotonic() - started < 10
    assert empathy.flush(timeout=30)
    [record] = collector.records
    assert not record.success and "529 overloaded_error" in record.error
    assert fake_anthropic.arrived == 1


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT to a child process is POSIX")
def test_ctrl_c_records_the_call_in_flight_as_cancelled(
    fake_anthropic: Any, empathy_cache_dir: Path, tmp_path: Path, empathy_cli: Callable[..., CliResult]
) -> None:
    """SIGINT to ``empathy workflow run`` mid-call: exit 130, one ``cancelled`` record stored.

    ``empathy_cli`` runs a command to completion, so this one is started by hand, with the
    same environment, to be interrupted while the fake server holds its request.
    """
    (tmp_path / "app.py").write_text("def f():\n    return 1\n")
    fake_anthropic.latency = 30.0
    env = {k: v for k, v in os.environ.items() if k != "EMPATHY_CONFIG"}
    env.update(EMPATHY_CACHE_DIR=str(empathy_cache_dir), XDG_CONFIG_HOME=str(tmp_path / "config-home"))
    args = ["workflow", "run", "code-review", "--provider", "anthropic", "--input", '{"path": "."}']
    proc = subprocess.Popen(
        [sys.executable, "-m", "empathy_core", *args],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert fake_anthropic.wait_for_arrivals(1, timeout=60), "the call never reached the server"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr
    assert stderr.strip().splitlines()[-1] == "Interrupted." and "Traceback" not in stderr
    fake_anthropic.latency = 0.0
    shown = json.loads(empathy_cli("telemetry", "show", "--json", cwd=tmp_path).ok())
    [entry] = shown["entries"]
    assert (entry["workflow"], entry["stage"], entry["provider"]) == ("code-review", "triage", "anthropic")
    assert (entry["success"], entry["error"], entry["cost"]) == (False, "cancelled", 0.0)
    assert fake_anthropic.arrived == 1


# -- the policy, as the SDK has it -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (408, {}, True),
        (409, {}, True),
        (429, {}, True),
        (500, {}, True),
        (503, {}, True),
        (529, {}, True),
        (400, {}, False),
        (401, {}, False),
        (404, {}, False),
        (413, {}, False),
        (400, {"x-should-retry": "true"}, True),
        (529, {"x-should-retry": "false"}, False),
    ],
)
def test_which_statuses_are_retried(status: int, headers: dict[str, str], expected: bool) -> None:
    assert should_retry_status(status, headers) is expected


def test_retry_after_headers() -> None:
    assert parse_retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert parse_retry_after({"retry-after": "1.5"}) == 1.5
    assert (
        parse_retry_after({"retry-after": "Wed, 21 Oct 2026 07:28:10 GMT"}, now=lambda: 1792567680.0) == 10.0
    )
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after-ms": "x"}) is None
    assert parse_retry_after({}) is None


def test_retry_delay_is_retry_after_else_capped_exponential_backoff_with_jitter() -> None:
    assert retry_delay(0, 2.5) == 2.5
    assert retry_delay(0, 1e12) == MAX_RETRY_AFTER
    assert [retry_delay(n, None, jitter=lambda: 0.0) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert retry_delay(0, None, jitter=lambda: 1.0) == pytest.approx(0.375)
    assert retry_delay(10_000, 0.0, jitter=lambda: 0.0) == MAX_RETRY_DELAY  # 0 means "no ask"
    assert all(0.375 <= retry_delay(0, None) <= 0.5 for _ in range(100))
