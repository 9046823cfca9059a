"""The workflow end to end on the deterministic `mock` provider (no network, no key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from empathy_core import ConfigError, parse_config

from {{ cookiecutter.package_name }}.plugin import PLUGIN
from {{ cookiecutter.package_name }}.settings import Settings
from {{ cookiecutter.package_name }}.workflow import {{ cookiecutter.workflow_class }}

TEXT = "Stages run on tiers. Cheap models extract, capable ones write. Cost is tracked per call."


def test_two_stages_on_two_tiers(add_plugin, run_workflow, usage_records):
    add_plugin()
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


def test_settings_reach_the_prompt(add_plugin, run_workflow, usage_records, empathy, tmp_path: Path):
    empathy.config = parse_config(
        "telemetry:\n  store_prompts: true\n"
        "plugins:\n  settings:\n    {{ cookiecutter.project_slug }}:\n      max_words: 30\n      style: bullets\n",
        tmp_path / "c.yml",
    )
    add_plugin()
    assert empathy.settings(Settings) == Settings(max_words=30, style="bullets")
    result = run_workflow(PLUGIN, {"text": TEXT})
    assert result.status == "success", result.error
    assert "as bullets in at most 30 words" in usage_records[-1].prompt


def test_invalid_settings_name_the_key(add_plugin, empathy, tmp_path: Path):
    empathy.config = parse_config(
        "plugins:\n  settings:\n    {{ cookiecutter.project_slug }}:\n      style: loud\n", tmp_path / "c.yml"
    )
    add_plugin()
    with pytest.raises(ConfigError, match=r"c.yml:4: plugins.settings.{{ cookiecutter.project_slug }}.style"):
        empathy.settings(Settings)


def test_missing_text_fails_the_first_stage(add_plugin, run_workflow):
    add_plugin()
    result = run_workflow({{ cookiecutter.workflow_class }}, {})
    assert result.status == "failed"
    assert result.failed_stage == "extract"
    assert 'needs a non-empty "text"' in result.error


def test_provider_failure_fails_the_stage(add_plugin, run_workflow, usage_records, empathy, tmp_path: Path):
    empathy.config = parse_config(
        "plugins:\n  settings:\n    empathy-testing:\n      fail_on: [BOOM]\n", tmp_path / "c.yml"
    )
    add_plugin()
    result = run_workflow(PLUGIN, {"text": "BOOM"})
    assert result.status == "failed" and result.failed_stage == "extract"
    assert "scripted failure" in result.error
    assert [r.success for r in usage_records] == [False]  # the failed call is still recorded
