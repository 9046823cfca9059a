"""The examples and figures the docs show are true: run them.

Python examples are run as written, extracted from their page: the test functions of
``docs/authoring/testing.md`` with real fixtures, the plugin module of the tutorial's
"Beyond the template" section registered in a real runtime, the workflow of
``docs/guide/workflows.md`` on the real engine. Other tests check a page's figures
(a cost, a configuration file) against the code. A docs edit that breaks an example or
its claim fails here, and so does an API change that breaks a docs example.
"""

from __future__ import annotations

import inspect
import re
import textwrap
import types
from pathlib import Path
from typing import Any

import pytest

from empathy_core import (
    BaseWorkflow,
    Empathy,
    ModelTier,
    RouteContext,
    Usage,
    default_table,
    hookimpl,
    parse_config,
)

DOCS = Path(__file__).resolve().parents[1] / "docs"
LONG_TEXT = "Every stage of this review reads the same long source text. " * 200
FENCE = re.compile(r"^(?P<indent>[ \t]*)```python\n(?P<body>.*?)^(?P=indent)```", re.MULTILINE | re.DOTALL)
TUTORIAL_EXAMPLES = "## 6. Beyond the template"


def python_blocks(page: str, section: str | None = None) -> list[str]:
    """The Python blocks of ``docs/<page>``, only those under heading ``section`` if given;
    each is preceded by blank lines, so that tracebacks give the line in the page."""
    text = (DOCS / page).read_text(encoding="utf-8")
    start, end = 0, len(text)
    if section is not None:
        assert f"\n{section}\n" in text, f"docs/{page} has no section {section!r}"
        start = text.index(f"\n{section}\n") + 1
        following = re.compile(r"^## ", re.MULTILINE).search(text, start + len(section))
        end = following.start() if following else end
    blocks = []
    for match in FENCE.finditer(text, start, end):
        blank = "\n" * text.count("\n", 0, match.start("body"))
        blocks.append(blank + textwrap.dedent(match.group("body")))
    return blocks


def run_blocks(page: str, blocks: list[str], namespace: dict[str, Any]) -> dict[str, Any]:
    """Execute ``blocks`` one after the other in ``namespace`` (as one module would)."""
    for block in blocks:
        exec(compile(block, f"docs/{page}", "exec"), namespace)
    return namespace


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
    """``my_plugin`` of the testing page: registers ``my-review``."""

    __name__ = "my-plugin"

    @hookimpl
    def empathy_register_workflows(self, register):
        register(MyReview)


# -- docs/authoring/testing.md: every test function, run with real fixtures --------------

TESTING_PAGE = "authoring/testing.md"
TESTING_EXAMPLES = re.findall(r"^def (test_\w+)\(", "\n".join(python_blocks(TESTING_PAGE)), re.MULTILINE)


def test_the_testing_page_has_examples():
    assert len(TESTING_EXAMPLES) >= 7, TESTING_EXAMPLES


@pytest.mark.parametrize("name", TESTING_EXAMPLES)
def test_testing_page_example(name: str, request: pytest.FixtureRequest):
    """docs/authoring/testing.md: the example ``name``, as written, with its fixtures."""
    namespace = run_blocks(
        TESTING_PAGE, python_blocks(TESTING_PAGE), {"my_plugin": MyPlugin(), "LONG_TEXT": LONG_TEXT}
    )
    function = namespace[name]
    parameters = list(inspect.signature(function).parameters)
    if "fake_anthropic" in parameters:
        pytest.importorskip("anthropic")
    function(**{parameter: request.getfixturevalue(parameter) for parameter in parameters})


# -- docs/authoring/tutorial.md, "Beyond the template": one plugin module ----------------


@pytest.fixture
def tutorial_plugin() -> types.ModuleType:
    module = types.ModuleType("tutorial_plugin")
    blocks = python_blocks("authoring/tutorial.md", TUTORIAL_EXAMPLES)
    assert len(blocks) >= 6
    run_blocks("authoring/tutorial.md", blocks, module.__dict__)
    return module


def test_tutorial_runtime_middleware_routing_and_lifecycle(
    tutorial_plugin, empathy, run_workflow, usage_records
):
    """The stash set up in empathy_configure, the stage cache, routing by input length and
    the async lifecycle hook, on one runtime."""
    empathy.add(MyPlugin(), tutorial_plugin)
    short = run_workflow("my-review", {"text": "def f(): pass"})
    assert short.status == "success", short.error
    assert [(s.tier.value, s.reason) for s in short.stages] == [
        ("cheap", "the workflow's tier map"),
        ("capable", "the workflow's tier map"),
    ]
    assert len(usage_records) == 2

    again = run_workflow("my-review", {"text": "def f(): pass"})
    assert again.output == short.output
    assert len(usage_records) == 2, "the stage middleware answered from its cache: no LLM call"
    assert again.cost == 0.0 and [s.tokens_in for s in again.stages] == [s.tokens_in for s in short.stages]

    long = run_workflow("my-review", {"text": LONG_TEXT})
    assert long.status == "success", long.error
    assert (long.stages[0].tier, long.stages[0].model) == (ModelTier.CAPABLE, "mock-capable")
    assert long.stages[0].reason == "long input: triage on the capable tier"
    assert empathy.stash[tutorial_plugin.RUNS] == [("my-review", "success")] * 3


def test_tutorial_llm_middleware_falls_back_to_the_cheap_model(
    tutorial_plugin, empathy, run_workflow, usage_records, tmp_path
):
    """Each attempt reaching the provider is one usage record; the cheap model's failure
    is not retried; a failed stage is not cached."""
    empathy.config = parse_config(
        "plugins:\n  settings:\n    empathy-testing:\n      fail_on: [BOOM]\n", tmp_path / "c.yml"
    )
    empathy.add(MyPlugin(), tutorial_plugin)
    long = run_workflow("my-review", {"text": "BOOM " + LONG_TEXT})
    assert (long.status, long.failed_stage) == ("failed", "triage")
    assert [(r.model, r.success) for r in usage_records] == [("mock-capable", False), ("mock-cheap", False)]
    short = run_workflow("my-review", {"text": "BOOM"})
    assert short.status == "failed"
    assert [r.model for r in usage_records[2:]] == ["mock-cheap"]
    run_workflow("my-review", {"text": "BOOM"})
    assert len(usage_records) == 4
    assert empathy.stash[tutorial_plugin.RUNS] == [("my-review", "failed")] * 3


def test_tutorial_routing_strategy_is_registered_by_name(tutorial_plugin, empathy, run_workflow, tmp_path):
    """register(name, factory), factory(empathy, settings); picked by adaptive_routing.strategy."""
    empathy.config = parse_config(
        "adaptive_routing:\n  enabled: true\n  strategy: long-inputs-up\n", tmp_path / "c.yml"
    )
    empathy.add(tutorial_plugin)
    strategy = empathy.strategy("long-inputs-up")
    context = RouteContext(workflow="w", stage="s", tier=ModelTier.CHEAP, input_data={"text": LONG_TEXT})
    assert strategy.select(context).tier is ModelTier.CAPABLE
    assert strategy.select(RouteContext(workflow="w", stage="s", tier=ModelTier.CHEAP)) is None

    class OneStage(MyReview):
        name = "one-stage"
        stages = ["scan"]
        tier_map = {"scan": ModelTier.CHEAP}

    result = run_workflow(OneStage, {"text": LONG_TEXT})
    assert (result.stages[0].tier, result.stages[0].reason) == (
        ModelTier.CAPABLE,
        "input over 5000 characters",
    )


# -- docs/authoring/migrating.md: the "after" examples ------------------------------------


def test_migrating_examples_run(empathy, run_workflow, tmp_path, monkeypatch):
    """docs/authoring/migrating.md, "Before and after": routing, middleware and the sink."""
    monkeypatch.chdir(tmp_path)
    module = types.ModuleType("migrating_examples")
    blocks = python_blocks("authoring/migrating.md", "## Before and after")
    run_blocks("authoring/migrating.md", blocks, module.__dict__)

    class Synthesis(MyReview):
        name = "synthesis-demo"
        stages = ["synthesis"]
        tier_map = {"synthesis": ModelTier.CAPABLE}

    empathy.add(module)
    result = run_workflow(Synthesis, {"text": "x"})
    assert result.status == "success", result.error
    assert (result.stages[0].tier, result.stages[0].reason) == (
        ModelTier.PREMIUM,
        "synthesis needs the premium tier",
    )
    empathy.get().close()
    [line] = (tmp_path / "usage.jsonl").read_text().splitlines()
    assert '"stage": "synthesis"' in line and '"model": "mock-premium"' in line


# -- docs/guide/workflows.md --------------------------------------------------------------


def test_workflows_guide_example_runs_cheap_then_capable(run_workflow, usage_records):
    """docs/guide/workflows.md, "How a run proceeds"."""
    [block] = [b for b in python_blocks("guide/workflows.md") if "class Summarize(" in b]
    namespace = run_blocks("guide/workflows.md", [block], {})
    result = run_workflow(namespace["Summarize"], {"text": "Stages run on tiers."})
    assert result.status == "success", result.error
    assert [(s.name, s.tier.value) for s in result.stages] == [("extract", "cheap"), ("summarize", "capable")]
    assert result.output["summary"].startswith("mock reply")
    assert [r.stage for r in usage_records] == ["extract", "summarize"]


# -- figures -----------------------------------------------------------------------------


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


def test_configuration_guide_typical_file_is_valid(tmp_path, monkeypatch, empathy_cache_dir):
    """docs/guide/configuration.md, "A typical file": validates with the first-party plugins."""
    text = (DOCS / "guide" / "configuration.md").read_text()
    block = re.search(r"## A typical file\n\n```yaml\n(.*?)```", text, re.DOTALL).group(1)
    monkeypatch.delenv("EMPATHY_TELEMETRY_URL", raising=False)
    config = parse_config(block, tmp_path / "empathy.config.yml")
    assert config.telemetry.store == "" and config.plugins.disable == ["code-review"]
    empathy = Empathy(config, entry_points=True)
    try:
        empathy.validate_settings()
        empathy.check_config()
        assert empathy.settings("empathy-anthropic").max_retries == 4
        assert "code-review" not in empathy.workflows()
        for hook_name, plugins in config.hooks.items():
            impls = getattr(empathy.plugin_manager.hook, hook_name).get_hookimpls()
            called = [impl.plugin_name for impl in reversed(impls)]
            assert called[: len(plugins)] == plugins, f"hooks.{hook_name}: {called}"
    finally:
        empathy.close()
