"""``empathy routing ...`` and ``empathy feedback ...`` in a subprocess: output, and one
``Error:`` line with exit code 2 for bad input."""

from __future__ import annotations

import json

import pytest


def error_line(result) -> str:
    """The one ``Error:`` line of a run that exited 2 (warnings about other, broken plugins
    in the environment aside)."""
    lines = result.failed(2).strip().splitlines()
    lines = [line for line in lines if not line.startswith("Warning: plugin ")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def record(empathy_cli, tier: str, score: str) -> None:
    empathy_cli("feedback", "record", "code-review", "analysis", "--tier", tier, "--quality", score).ok()


def test_feedback_record_then_stats(empathy_cli):
    for score in ("0.4", "0.5", "0.6"):
        record(empathy_cli, "CHEAP", score)
    rows = json.loads(empathy_cli("feedback", "stats", "code-review", "analysis", "--json").ok())
    assert [(r["tier"], r["sample_count"]) for r in rows] == [("cheap", 3)]
    assert rows[0]["avg_quality"] == pytest.approx(0.5)
    assert rows[0]["recommendation"]["recommended_tier"] == "cheap"  # 3 < min_samples
    table = empathy_cli("feedback", "stats", "code-review", "analysis").ok()
    assert "Feedback on code-review/analysis" in table and "0.50" in table


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--tier", "cheap", "--quality", "1.5"), "--quality: must be between 0 and 1"),
        (("--tier", "cheap", "--quality", "good"), "--quality: expected"),
        (
            ("--tier", "gold", "--quality", "0.5"),
            "--tier: unknown tier 'gold' (expected one of: cheap, capable, premium)",
        ),
        (("--tier", "cheap", "--quality", "0.5", "--metadata", "[1]"), "--metadata: expected a JSON object"),
    ],
)
def test_bad_feedback_input_is_one_error_line_exit_2(empathy_cli, args, message):
    line = error_line(empathy_cli("feedback", "record", "code-review", "analysis", *args))
    assert message in line


def test_routing_check_needs_a_workflow_or_all(empathy_cli):
    assert "give a WORKFLOW or --all" in error_line(empathy_cli("routing", "check"))
    assert "give a WORKFLOW or --all" in error_line(empathy_cli("routing", "check", "x", "--all"))


def test_routing_stats_check_and_models(empathy_cli, tmp_path):
    stats = json.loads(empathy_cli("routing", "stats", "code-review", "--days", "7", "--json").ok())
    assert stats["total_calls"] == 0 and stats["workflow"] == "code-review"
    assert "-1" in error_line(empathy_cli("routing", "stats", "code-review", "--days", "-1"))
    for _ in range(10):
        record(empathy_cli, "cheap", "0.2")
    rows = json.loads(empathy_cli("routing", "check", "--all", "--json").ok())
    assert [(r["workflow"], r["stage"], r["action"]) for r in rows] == [("code-review", "analysis", "keep")]
    models = {r["model"]: r for r in json.loads(empathy_cli("routing", "models", "--json").ok())}
    assert models["claude-haiku-4-5"]["tiers"] == ["cheap"]
    assert models["claude-haiku-4-5"]["output_per_mtok"] == 5.0
    line = error_line(empathy_cli("routing", "models", "--provider", "nonesuch"))
    assert "unknown provider 'nonesuch'" in line


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ("budgets: {daily: -1}", "budgets.daily: must be between 0 and 1,000,000 USD, got -1"),
        ("budgets: {per_run: lots}", "budgets.per_run"),
        ("budgets: {workflows: {code-review: -2}}", "code-review: must be between 0 and 1,000,000 USD"),
        ("window: 0", "window: must be a whole number of calls from 1 to 10000, got 0"),
        ("budget: {daily: 1}", "empathy-routing.budget'; did you mean 'budgets'?"),
    ],
)
def test_bad_settings_are_a_config_error_naming_the_key(empathy_cli, tmp_path, settings, message):
    (tmp_path / "empathy.config.yml").write_text(
        f"plugins:\n  settings:\n    empathy-routing:\n      {settings}\n"
    )
    line = error_line(empathy_cli("routing", "models"))
    assert "plugins.settings.empathy-routing" in line and message in line


def test_an_unknown_strategy_is_a_config_error(empathy_cli, tmp_path):
    (tmp_path / "empathy.config.yml").write_text("adaptive_routing:\n  enabled: true\n  strategy: adaptiv\n")
    for args in (("config", "validate"), ("routing", "check", "--all")):
        line = error_line(empathy_cli(*args))
        assert (
            "adaptive_routing.strategy: unknown router strategy 'adaptiv'; did you mean 'adaptive'?" in line
        )
