"""Fixtures: a runtime with the SQLite stores, the Anthropic provider (pointed at the fake
server by ``fake_anthropic``) and this plugin, configured from YAML text."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import pytest

import empathy_anthropic.plugin as anthropic_plugin
import empathy_routing.plugin as routing_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import BaseWorkflow, ModelTier, parse_config


class OneCall(BaseWorkflow):
    """One stage, ``analysis`` on CHEAP, making one LLM call."""

    name = "route-test"
    description = "One LLM call."
    stages = ["analysis"]
    tier_map = {"analysis": ModelTier.CHEAP}

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        reply = await self._call_llm(tier, "You analyse.", f"Analyse {input_data.get('topic', 'this')}")
        return {"text": reply.text}, reply.usage.input_tokens, reply.usage.output_tokens


@pytest.fixture
def configure(empathy: Any, tmp_path: Any) -> Callable[..., Any]:
    """``configure(yaml)``: the runtime from ``yaml`` with the SQLite, Anthropic and routing plugins."""

    def build(yaml_text: str = "", *, anthropic: bool = True) -> Any:
        empathy.config = parse_config(textwrap.dedent(yaml_text), tmp_path / "empathy.config.yml")
        empathy.plugins.append(sqlite_plugin)
        runtime = empathy.get()
        if anthropic:
            empathy.add(anthropic_plugin, name="anthropic", dist="empathy-anthropic")
        empathy.add(routing_plugin, name="routing", dist="empathy-routing")
        return runtime

    return build


@pytest.fixture
def one_call() -> type[BaseWorkflow]:
    return OneCall


@pytest.fixture
def models_sent(fake_anthropic: Any) -> Callable[[], list[str]]:
    """The model of every Messages request the fake server received, in order."""
    return lambda: [r.body["model"] for r in fake_anthropic.received("/v1/messages")]
