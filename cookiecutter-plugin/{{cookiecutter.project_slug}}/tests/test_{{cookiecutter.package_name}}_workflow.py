"""The workflow end to end on the deterministic `mock` provider (no network, no key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from empathy_core.config import parse_config
from empathy_core.errors import ConfigError

from {{ cookiecutter.package_name }}.plugin import PLUGIN
from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}

TEXT = "Stages run on tiers. Cheap models extract, capable ones write. Cost is tracked per call."


def test_two_stages_on_two_tiers(plugin_pm, run_workflow, usage_records):
    plugin_pm()
    result = run_workflow(PLUGIN, {"text": TEXT})
    assert result.status == "success", result.error
    assert [(s.name, s.tier.value, s.model) for s in result.stages] == [
        ("extract", "cheap", "mock-cheap"),
        ("summarize", "capable", "mock-capable"),
    ]
    assert result.output["summary"].startswith("mock reply")
    assert result.output["points"] == result.stages[0].output["points"]
    assert [(r.stage, r.tier, r.success) for r in usage_records] == [
        ("extract", "cheap", True),
        ("summarize", "capable", True),
    ]
    assert result.tokens_in == sum(r.usage.total_input_tokens for r in usage_records) > 0
    assert result.cost == 0.0  # mock models are priced at $0


def test_settings_reach_the_prompt(plugin_pm, run_workflow, usage_records, empathy_pm, tmp_path: Path):
    empathy_pm.config = parse_config(
        "telemetry:\n  store_prompts: true\n"
        "plugins:\n  settings:\n    {{ cookiecutter.project_slug }}:\n      max_words: 30\n      style: bullets\n",
        tmp_path / "c.yml",
    )
    plugin_pm()
    result = run_workflow(PLUGIN, {"text": TEXT})
    assert result.status == "success", result.error
    assert "as bullets in at most 30 words" in usage_records[-1].prompt


def test_invalid_settings_name_the_key(plugin_pm, empathy_pm, tmp_path: Path):
    empathy_pm.config = parse_config(
        "plugins:\n  settings:\n    {{ cookiecutter.project_slug }}:\n      style: loud\n", tmp_path / "c.yml"
    )
    pm = plugin_pm()
    with pytest.raises(ConfigError, match=r"c.yml:4: plugins.settings.{{ cookiecutter.project_slug }}.style"):
        pm.plugin_settings(PLUGIN)


def test_missing_text_fails_the_first_stage(plugin_pm, run_workflow):
    plugin_pm()
    result = run_workflow({{ cookiecutter.workflow_class }}, {})
    assert result.status == "failed"
    assert result.failed_stage == "extract"
    assert 'needs a non-empty "text"' in result.error


def test_provider_failure_is_reported_not_raised(plugin_pm, run_workflow, empathy_pm, tmp_path: Path):
    empathy_pm.config = parse_config(
        "plugins:\n  settings:\n    empathy-testing:\n      fail_on: [BOOM]\n", tmp_path / "c.yml"
    )
    plugin_pm()
    result = run_workflow(PLUGIN, {"text": "BOOM"})
    assert result.status == "failed" and result.failed_stage == "extract"
    assert "scripted failure" in result.error
