"""Secrets by value: the resolved key never reaches a record, a log line or an error line."""

from __future__ import annotations

import asyncio
import logging

import pytest

from empathy_core import (
    BaseWorkflow,
    Empathy,
    EmpathyConfig,
    LLMResponse,
    ModelTier,
    ProviderError,
    Usage,
    hookimpl,
)
from empathy_core.cli import install_log_handler
from empathy_core.redaction import add_secret, redact, scrubbed_environ, shorten

CANARY = "sk-ant-canary-0123456789abcdefghij"


class LeakyProvider:
    """Echoes the request (and the key) into its error, as a careless SDK message might."""

    name = "leaky"

    def model_for(self, tier):
        return "claude-haiku-4-5"

    async def complete(self, request):
        raise ProviderError(f"401 invalid x-api-key {CANARY} for {request.messages[0]['content']}")


class Ask(BaseWorkflow):
    name = "ask"
    stages = ["ask"]

    async def run_stage(self, stage_name, tier, input_data):
        reply = await self._call_llm(ModelTier.CHEAP, "sys", f"key is {CANARY}")
        return reply.text, 0, 0


@pytest.fixture
def canary(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    return CANARY


def run_ask(provider, *, store_prompts: bool = False):
    """Run :class:`Ask` on ``provider`` (no store); the result and every record sinks saw."""
    records = []

    class Sink:
        @hookimpl
        def empathy_record_usage(self, record):
            records.append(record)

    config = EmpathyConfig()
    config.telemetry.enabled = False
    config.telemetry.store_prompts = store_prompts
    empathy = Empathy(config, plugins=[Sink()])
    try:
        result = asyncio.run(Ask(empathy=empathy, provider=provider).execute({}))
        empathy.flush()
    finally:
        empathy.close()
    return result, records


def test_a_key_in_an_error_or_prompt_never_reaches_a_record(canary, empathy_cache_dir):
    result, records = run_ask(LeakyProvider(), store_prompts=True)
    assert result.status == "failed"
    [record] = records
    assert CANARY not in record.error and "***" in record.error
    assert CANARY not in record.prompt and "key is ***" in record.prompt


def test_log_lines_and_short_quotes_are_redacted(canary, capsys):
    install_log_handler("INFO")
    logging.getLogger("empathy.test").info("failed with %s", canary)
    assert capsys.readouterr().err == "INFO empathy.test: failed with ***\n"
    assert shorten(canary * 1000).startswith("'***")
    assert len(shorten("x" * 10_000)) < 100


def test_a_configured_key_is_a_secret_even_without_a_secret_named_variable(monkeypatch):
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    key = "sk-ant-from-the-file-9876543210"
    Empathy(EmpathyConfig(api_key=key))
    assert redact(f"x {key} y") == "x *** y"


def test_subprocess_environment_has_no_secrets(canary, monkeypatch):
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-123456789")
    monkeypatch.setenv("INNOCENT_NAME", CANARY)  # a secret value under a harmless name
    env = scrubbed_environ({"EXTRA": "1"})
    assert "ANTHROPIC_API_KEY" not in env and "MY_SERVICE_TOKEN" not in env
    assert "INNOCENT_NAME" not in env and env["EXTRA"] == "1"
    assert "PATH" in env


def test_add_secret_ignores_short_values():
    add_secret("abc")
    assert redact("abc") == "abc"


def test_provider_usage_is_kept_when_nothing_leaks(empathy_cache_dir):
    class Fine(LeakyProvider):
        async def complete(self, request):
            return LLMResponse(text="ok", model="claude-haiku-4-5", usage=Usage(3, 1), provider="fine")

    result, records = run_ask(Fine())
    assert result.succeeded
    assert records[0].error is None and records[0].prompt is None  # prompts are off by default
