"""Fixtures for the Anthropic provider tests: the real SDK against the fake server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import empathy_anthropic.plugin as anthropic_plugin
from empathy_anthropic.provider import AnthropicProvider
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import (
    BaseWorkflow,
    Empathy,
    EmpathyConfig,
    LLMRequest,
    ModelTier,
    UsageRecord,
    hookimpl,
    parse_config,
)

LONG_CONTEXT = "The quick brown fox jumps over the lazy dog. " * 300


def installed(empathy: Empathy) -> Empathy:
    """``empathy`` with the plugin registered as the entry-point loader does (its settings
    are ``plugins.settings.empathy-anthropic``); returns it."""
    empathy.add_plugin(anthropic_plugin, "anthropic", dist="empathy-anthropic")
    return empathy


class Collector:
    """A telemetry sink that keeps every usage record."""

    def __init__(self) -> None:
        self.records: list[UsageRecord] = []

    @hookimpl
    def empathy_record_usage(self, record: UsageRecord) -> None:
        self.records.append(record)


class OneCallWorkflow(BaseWorkflow):
    """One stage that sends ``input["request"]`` through the engine's ``call_llm``."""

    name = "one-call"
    stages = ("ask",)

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        response = await self.call_llm(input_data["request"])
        return response, response.usage.total_input_tokens, response.usage.output_tokens


@pytest.fixture
def make_provider(fake_anthropic: Any) -> Callable[..., AnthropicProvider]:
    """``make_provider(config=None, **settings)``: a provider aimed at the fake server."""

    def make(config: EmpathyConfig | None = None, **settings: Any) -> AnthropicProvider:
        settings.setdefault("max_retries", 0)
        return AnthropicProvider(config or EmpathyConfig(), AnthropicSettings(**settings))

    return make


@pytest.fixture
def make_config() -> Callable[[str], EmpathyConfig]:
    """``make_config(yaml_text)``: the configuration an ``empathy.config.yml`` holding it gives."""

    def parse(text: str = "") -> EmpathyConfig:
        return parse_config(text, Path("empathy.config.yml"))

    return parse


@pytest.fixture
def collector() -> Collector:
    """A telemetry sink plugin; its ``records`` are every ``UsageRecord`` it received."""
    return Collector()


@pytest.fixture
def engine(
    fake_anthropic: Any, empathy_cache_dir: Any, collector: Collector
) -> Iterator[Callable[..., tuple[Empathy, Collector]]]:
    """``engine(config=None)`` -> (a runtime with the anthropic plugin, record collector).

    The collector gets records on the runtime's writer thread: after ``empathy.flush()``
    (``run_call`` flushes); the runtimes are closed after the test.
    """
    made: list[Empathy] = []

    def make(config: EmpathyConfig | None = None) -> tuple[Empathy, Collector]:
        empathy = installed(Empathy(config or EmpathyConfig(), plugins=[collector]))
        made.append(empathy)
        return empathy, collector

    yield make
    for empathy in made:
        empathy.close()


@pytest.fixture
def cached_request() -> Callable[..., LLMRequest]:
    """``cached_request(text=..., **fields)``: a request with a long cacheable prefix."""

    def make(text: str = "Summarise the context.", **kwargs: Any) -> LLMRequest:
        return LLMRequest.from_text(text, system="You are terse.", cached_context=LONG_CONTEXT, **kwargs)

    return make


@pytest.fixture
def run_call() -> Callable[..., tuple[Any, Any]]:
    """``run_call(empathy, request)`` -> (WorkflowResult, LLMResponse or None) through the engine."""

    def run(empathy: Empathy, request: LLMRequest) -> tuple[Any, Any]:
        workflow = OneCallWorkflow(empathy=empathy, provider_name="anthropic")
        result = asyncio.run(workflow.execute({"request": request}))
        assert empathy.flush(timeout=60), (
            "usage records not delivered"
        )  # the run's records, for the collector
        return result, result.output if result.succeeded else None

    return run
