"""release-prep: quality gates over a health-check of the gate agents.

Gates: coverage at least ``min_coverage`` percent; no high-severity security finding;
at most ``max_type_errors`` mypy errors; at most ``max_lint_issues`` ruff issues. A gate
whose agent did not produce a result fails: an unmeasured gate is never a pass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_orchestrate.healthcheck import health_check
from empathy_orchestrate.records import AgentReport, GateResult, HealthReport, ReleaseReport

if TYPE_CHECKING:
    from empathy_core import Empathy
    from empathy_orchestrate.settings import OrchestrateSettings

GATE_AGENTS = ("coverage", "security", "types", "quality")


def _measured(health: HealthReport, agent: str) -> AgentReport | str:
    """The agent's ``ok`` report, or why the gate could not be measured."""
    if agent in health.skipped:
        return f"not measured: {health.skipped[agent]}"
    try:
        report = health.agent(agent)
    except KeyError:
        return "not measured: agent did not run"
    if report.status != "ok":
        return f"not measured ({report.status}): {report.summary}"
    return report


def gates(
    health: HealthReport, *, min_coverage: float, max_type_errors: int, max_lint_issues: int
) -> list[GateResult]:
    """Evaluate the four release gates on ``health``."""
    results = []
    coverage = _measured(health, "coverage")
    required = f">= {min_coverage:g}%"
    if isinstance(coverage, str):
        results.append(GateResult("coverage", False, required, "n/a", coverage))
    else:
        percent = coverage.metrics.get("percent_covered", 0.0)
        failed = int(coverage.metrics.get("failed", 0))
        detail = f"{failed} tests failed" if failed else coverage.summary
        results.append(
            GateResult(
                "coverage", percent >= min_coverage and not failed, required, f"{percent:.1f}%", detail
            )
        )
    security = _measured(health, "security")
    if isinstance(security, str):
        results.append(GateResult("security", False, "0 high", "n/a", security))
    else:
        high = [f for f in security.findings if f.severity == "high"]
        detail = "; ".join(f"{f.location()} {f.rule}" for f in high[:3])
        results.append(GateResult("security", not high, "0 high", f"{len(high)} high", detail))
    for name, agent, limit, noun in (
        ("types", "types", max_type_errors, "errors"),
        ("lint", "quality", max_lint_issues, "issues"),
    ):
        report = _measured(health, agent)
        required = f"<= {limit} {noun}"
        if isinstance(report, str):
            results.append(GateResult(name, False, required, "n/a", report))
        else:
            count = len(report.findings)
            detail = "; ".join(f"{f.location()} {f.rule}" for f in report.findings[:3])
            results.append(GateResult(name, count <= limit, required, f"{count} {noun}", detail))
    return results


async def release_prep(
    path: str,
    *,
    min_coverage: float = 80.0,
    max_type_errors: int = 0,
    max_lint_issues: int = 0,
    use_cache: bool = True,
    empathy: Empathy | None = None,
    settings: OrchestrateSettings | None = None,
) -> ReleaseReport:
    """Run the gate agents on ``path`` and evaluate the gates (see the module docstring).

    ``empathy`` and ``settings`` are as for :func:`~empathy_orchestrate.healthcheck.health_check`;
    no LLM is called.
    """
    health = await health_check(
        path,
        mode="release",
        agents=GATE_AGENTS,
        use_cache=use_cache,
        empathy=empathy,
        settings=settings,
        record_history=False,
        offline=True,
    )
    return ReleaseReport(
        repository=health.repository,
        gates=gates(
            health,
            min_coverage=min_coverage,
            max_type_errors=max_type_errors,
            max_lint_issues=max_lint_issues,
        ),
        health=health,
    )
