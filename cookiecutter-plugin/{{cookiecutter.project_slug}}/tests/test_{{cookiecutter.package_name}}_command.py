"""`empathy {{ cookiecutter.plugin_name }} FILE` through the real CLI (the plugin must be installed)."""

from __future__ import annotations

from pathlib import Path


def test_command_prints_the_summary(empathy_cli, tmp_path: Path):
    source = tmp_path / "notes.txt"
    source.write_text("Plugins register workflows. Workflows run stages on tiers.", encoding="utf-8")
    result = empathy_cli("{{ cookiecutter.plugin_name }}", str(source), "--provider", "mock")
    assert result.ok().startswith("mock reply")
    assert "cost $0.000000" in result.stderr


def test_command_reports_a_failed_stage_without_traceback(empathy_cli):
    result = empathy_cli("{{ cookiecutter.plugin_name }}", "-", "--provider", "mock", input="   ")
    assert result.failed(1).startswith("Error: stage 'extract' failed")
