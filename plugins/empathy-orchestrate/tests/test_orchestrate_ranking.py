"""Ranking of the top findings and the overall score."""

from __future__ import annotations

from empathy_orchestrate.agents.base import Verdict, density_score
from empathy_orchestrate.healthcheck import mean_score, rank_findings
from empathy_orchestrate.records import AgentReport, Finding


def report(agent: str, *findings: Finding, status: str = "ok", score: float | None = 50.0) -> AgentReport:
    return AgentReport(agent=agent, status=status, score=score, findings=list(findings))


def test_severity_first_then_corroboration_then_agent_order() -> None:
    lint = report(
        "quality", Finding("a.py", 3, "low", "F401", "unused"), Finding("b.py", 9, "medium", "B006", "x")
    )
    sec = report(
        "security", Finding("b.py", 9, "medium", "B602", "shell"), Finding("c.py", 1, "high", "B301", "p")
    )
    ranked = rank_findings([lint, sec], [], limit=10)
    assert [(r.agent, r.finding.rule) for r in ranked] == [
        ("security", "B301"),
        ("quality", "B006"),  # corroborated by security's finding at b.py:9
        ("security", "B602"),  # corroborated by quality's
        ("quality", "F401"),
    ]
    assert ranked[1].corroborated_by == ("security",)


def test_verdicts_raise_and_lower_rank() -> None:
    a = report(
        "types", Finding("a.py", 1, "medium", "arg-type", "m1"), Finding("a.py", 5, "medium", "misc", "m2")
    )
    verdicts = [
        Verdict("coverage", "types", "a.py", 5, "misc", "agree", "untested"),
        Verdict("docs", "types", "a.py", 1, "arg-type", "dispute", "false positive"),
    ]
    ranked = rank_findings([a], verdicts, limit=2)
    assert [r.finding.rule for r in ranked] == ["misc", "arg-type"]
    assert ranked[0].corroborated_by == ("coverage",)


def test_one_noisy_rule_cannot_fill_the_list() -> None:
    noisy = report("coverage", *(Finding("t.py", n, "high", "test-failed", f"t{n}") for n in range(1, 9)))
    other = report("quality", Finding("a.py", 1, "low", "E501", "long"))
    ranked = rank_findings([noisy, other], [], limit=5)
    assert [(r.agent, r.finding.line) for r in ranked] == [
        ("coverage", 1),
        ("coverage", 2),
        ("coverage", 3),
        ("quality", 1),
    ]


def test_only_ok_reports_count_towards_the_score() -> None:
    reports = [
        report("a", score=80.0),
        report("b", score=40.0),
        report("c", status="unavailable", score=None),
        report("d", status="timeout", score=None),
    ]
    assert mean_score(reports) == 60.0
    assert mean_score(reports[2:]) is None


def test_density_score_halves_at_the_half_density() -> None:
    medium = [Finding("a.py", 1, "medium", "r", "m")] * 5  # weight 15
    assert density_score([], 5000, 3.0) == 100
    assert density_score(medium, 5000, 3.0) == 50  # 15 weighted per 5 kloc = 3 per kloc
    assert density_score(medium, 10, 3.0) == 100 / 6  # tiny repositories count as 1 kloc
