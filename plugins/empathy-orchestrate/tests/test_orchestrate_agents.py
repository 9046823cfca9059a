"""Each agent finds the known problem of the fixture repository with its real tool."""

from __future__ import annotations

from typing import Any

import pytest

from empathy_orchestrate.settings import OrchestrateSettings


def findings(report: Any, agent: str, rule: str) -> list[Any]:
    return [f for f in report.agent(agent).findings if f.rule.startswith(rule)]


def test_every_agent_ran_with_its_tool(known_report: Any) -> None:
    _root, report, _before = known_report
    assert [a.agent for a in report.agents] == [
        "security",
        "coverage",
        "quality",
        "types",
        "docs",
        "performance",
        "architecture",
        "refactoring",
    ]
    for agent in report.agents:
        assert agent.status == "ok", (agent.agent, agent.summary)
        assert 0 <= agent.score <= 100
        assert agent.tool_version
    assert report.tools["bandit"].runs == 1 and report.tools["bandit"].files == 6


def test_security_finds_shell_true_and_eval(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    (shell,) = findings(report, "security", "B602")
    assert (shell.file, shell.severity) == ("pkg/shell.py", "high")
    assert shell.line == helpers.line_of(root, "pkg/shell.py", "shell=True")
    (evaluate,) = findings(report, "security", "B307")
    assert evaluate.line == helpers.line_of(root, "pkg/shell.py", "eval(text)")
    assert report.agent("security").score < 50


def test_security_ignores_asserts_in_tests(known_report: Any) -> None:
    _, report, _ = known_report
    assert not [f for f in report.agent("security").findings if f.file.startswith("tests/")]


def test_architecture_finds_the_import_cycle(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    (cycle,) = findings(report, "architecture", "import-cycle")
    assert "pkg.cycle_b -> pkg.shell -> pkg.cycle_b" in cycle.message
    assert cycle.line == helpers.line_of(root, "pkg/cycle_b.py", "from pkg import shell")
    assert report.agent("architecture").metrics["cycles"] == 1


def test_coverage_finds_the_function_no_test_runs(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    coverage = report.agent("coverage")
    (never,) = findings(report, "coverage", "function-not-executed")
    assert never.message == "no test executes never_called()"
    assert never.line == helpers.line_of(root, "pkg/shell.py", "def never_called")
    assert coverage.metrics["tests"] == 4 and coverage.metrics["failed"] == 0
    assert 50 < coverage.score < 100
    assert coverage.score == pytest.approx(coverage.metrics["percent_covered"], abs=0.1)


def test_types_finds_the_wrong_return(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    (error,) = findings(report, "types", "return-value")
    assert error.file == "pkg/typed.py"
    assert error.line == helpers.line_of(root, "pkg/typed.py", 'return ",".join')


def test_quality_finds_the_unused_import(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    (unused,) = findings(report, "quality", "F401")
    assert (unused.file, unused.severity) == ("pkg/typed.py", "low")
    assert unused.line == helpers.line_of(root, "pkg/typed.py", "import os")


def test_docs_counts_public_definitions(known_report: Any) -> None:
    _, report, _ = known_report
    (missing,) = findings(report, "docs", "missing-docstring")
    assert missing.message == "function never_called has no docstring"
    docs = report.agent("docs")
    assert docs.metrics["definitions"] == 12  # 5 modules, 7 functions
    assert docs.score == pytest.approx(100 * 11 / 12, abs=0.1)


def test_performance_finds_the_triple_loop(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    (loops,) = findings(report, "performance", "nested-loops")
    assert loops.line == helpers.line_of(root, "pkg/shell.py", "def never_called")
    assert "O(n^3)" in loops.message


def test_refactoring_finds_the_duplicated_body(known_report: Any, helpers: Any) -> None:
    root, report, _ = known_report
    (duplicate,) = findings(report, "refactoring", "duplicate-code")
    assert duplicate.line == helpers.line_of(root, "pkg/dup.py", "def second")
    assert "first() at pkg/dup.py:" in duplicate.message


def test_overall_score_is_the_mean_of_the_agents(known_report: Any) -> None:
    _, report, _ = known_report
    scores = [a.score for a in report.agents]
    assert report.score == pytest.approx(sum(scores) / len(scores), abs=0.1)


def test_top_findings_rank_high_severity_first(known_report: Any) -> None:
    _, report, _ = known_report
    first = report.top_findings[0]
    assert (first.agent, first.finding.rule.split()[0]) == ("security", "B602")
    assert [r.finding.severity for r in report.top_findings] == sorted(
        (r.finding.severity for r in report.top_findings), key=["high", "medium", "low"].index
    )


def test_coverage_corroborates_findings_in_untested_code(known_report: Any) -> None:
    _, report, _ = known_report
    ranked = {(r.agent, r.finding.rule): r for r in report.top_findings}
    assert "coverage" in ranked[("performance", "nested-loops")].corroborated_by


def test_nothing_is_written_into_the_analysed_repository(known_report: Any, helpers: Any) -> None:
    root, _, before = known_report
    assert helpers.tree_state(root) == before


def test_architecture_layers_tests_and_private_modules(make_repo: Any, run_check: Any) -> None:
    files = {
        "app/__init__.py": '"""App."""\n',
        "app/core.py": '"""Core."""\n\nfrom app import api\n',
        "app/api.py": '"""API."""\n\nfrom app import core\nfrom lib import _impl\n',
        "app/bad.py": '"""Imports test helpers."""\n\nfrom tests import helpers\n',
        "lib/__init__.py": '"""Lib."""\n',
        "lib/_impl.py": '"""Private."""\n',
        "tests/__init__.py": "",
        "tests/helpers.py": '"""Helpers."""\n',
    }
    settings = OrchestrateSettings(layers=["app.core", "app.api"])
    report = run_check(make_repo(files), agents=["architecture"], settings=settings)
    rules = {(f.rule, f.file, f.line) for f in report.agent("architecture").findings}
    assert rules == {
        ("import-cycle", "app/api.py", 3),
        ("layer-violation", "app/core.py", 3),
        ("private-import", "app/api.py", 4),
        ("imports-test-code", "app/bad.py", 3),
    }
