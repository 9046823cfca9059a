"""The examples and figures the docs show are true: run them.

Each test mirrors an example of a docs page (named in its docstring) with a real
workflow, the real engine and, for the Anthropic example, the real SDK against the fake
server; a docs edit that breaks an example's claim fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from empathy_core.config import parse_config
from empathy_core.hookspecs import hookimpl
from empathy_core.pricing import default_table
from empathy_core.records import ModelTier, Usage
from empathy_core.workflow import BaseWorkflow

DOCS = Path(__file__).resolve().parents[1] / "docs"
LONG_TEXT = "Every stage of this review reads the same long source text. " * 200


class MyReview(BaseWorkflow):
    name = "my-review"
    description = "Cheap triage, capable review; the text is the cached context."
    stages = ["triage", "review"]
    tier_map = {"triage": ModelTier.CHEAP, "review": ModelTier.CAPABLE}

    async def run_stage(self, stage_name, tier, input_data):
        reply = await self._call_llm(
            tier, "You review text.", f"Stage {stage_name}: list issues.", cached_context=input_data["text"]
        )
        return {stage_name: reply.text}, reply.usage.total_input_tokens, reply.usage.output_tokens


class MyPlugin:
    __name__ = "my-plugin"

    @hookimpl
    def empathy_register_workflows(self, register):
        register(MyReview)


def test_cost_page_worked_example_matches_the_pricing_file():
    """docs/guide/cost.md, "A worked example"."""
    text = (DOCS / "guide" / "cost.md").read_text()
    table = default_table()
    haiku = table.price_for("claude-haiku-4-5")
    assert f"USD {haiku.input:g} input, {haiku.output:g} output per million" in " ".join(text.split())
    rows = {
        "no caching": Usage(input_tokens=12_000, output_tokens=500),
        "first call: writes the cache (5 minutes)": Usage(2_000, 500, cache_write_5m_tokens=10_000),
        "later calls: read the cache": Usage(2_000, 500, cache_read_tokens=10_000),
    }
    for label, usage in rows.items():
        expected = table.cost("claude-haiku-4-5", usage)
        assert re.search(rf"\| {re.escape(label)} \|.*\| \${expected:g} \|", text), label
    batch = table.cost("claude-haiku-4-5", rows["later calls: read the cache"], batch=True)
    assert re.search(rf"\| the same, through Message Batches \|.*\| \${batch:g} \|", text)


def test_testing_page_two_tiers_example(empathy_pm, run_workflow, usage_records):
    """docs/authoring/testing.md, first example."""
    empathy_pm.add(MyPlugin())
    result = run_workflow("my-review", {"text": "def f(): pass"})
    assert result.status == "success", result.error
    assert [s.tier.value for s in result.stages] == ["cheap", "capable"]
    assert [r.model for r in usage_records] == ["mock-cheap", "mock-capable"]
    assert result.cost == sum(r.cost for r in usage_records) == 0.0


def test_testing_page_failure_example(empathy_pm, run_workflow, usage_records, tmp_path):
    """docs/authoring/testing.md, second example."""
    empathy_pm.config = parse_config(
        "plugins:\n  settings:\n    empathy-testing:\n      fail_on: [BOOM]\n", tmp_path / "c.yml"
    )
    empathy_pm.add(MyPlugin())
    result = run_workflow("my-review", {"text": "BOOM"})
    assert result.status == "failed"
    assert "scripted failure" in result.error
    assert [r.success for r in usage_records] == [False]


def test_testing_page_fake_anthropic_example(fake_anthropic, empathy_pm, run_workflow):
    """docs/authoring/testing.md, third example: the second run reads the prompt cache."""
    pytest.importorskip("anthropic")
    import empathy_anthropic.plugin as anthropic_plugin

    empathy_pm.add(anthropic_plugin, MyPlugin())
    first = run_workflow("my-review", {"text": LONG_TEXT}, provider="anthropic")
    second = run_workflow("my-review", {"text": LONG_TEXT}, provider="anthropic")
    assert first.status == second.status == "success", (first.error, second.error)
    assert second.cost < first.cost
    assert len(fake_anthropic.received("/v1/messages")) == 4


def test_configuration_guide_typical_file_is_valid(tmp_path, monkeypatch):
    """docs/guide/configuration.md, "A typical file": validates with the first-party plugins."""
    from empathy_core.plugins import make_plugin_manager

    text = (DOCS / "guide" / "configuration.md").read_text()
    block = re.search(r"## A typical file\n\n```yaml\n(.*?)```", text, re.DOTALL).group(1)
    monkeypatch.delenv("EMPATHY_TELEMETRY_URL", raising=False)
    config = parse_config(block, tmp_path / "empathy.config.yml")
    assert config.telemetry.store == "" and config.plugins.disable == ["code-review"]
    pm = make_plugin_manager(config=config, entry_points=True)
    pm.validate_settings()
    assert pm.plugin_settings("empathy-anthropic").max_retries == 4
    assert "code-review" not in pm.workflows()
