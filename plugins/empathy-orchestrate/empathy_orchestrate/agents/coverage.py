"""Coverage: the repository's own tests under pytest + coverage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_orchestrate.agents.base import AgentTemplate, Verdict, plural
from empathy_orchestrate.analyzers.coverage import PYTEST_COVERAGE
from empathy_orchestrate.errors import ToolFailed, ToolUnavailable
from empathy_orchestrate.records import AgentReport, Finding

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository

BIG_FUNCTION_STATEMENTS = 10


def coverage_findings(result: dict[str, Any]) -> list[Finding]:
    """Failed tests (high), files never executed (medium), functions never executed (low/medium)."""
    findings = [
        Finding(file or "?", int(line), "high", "test-failed", f"{test}: {message}")
        for file, line, test, message in result.get("failures", [])
    ]
    for rel, (statements, covered, _missing, functions) in sorted(result["files"].items()):
        if statements and not covered:
            findings.append(
                Finding(
                    rel,
                    1,
                    "medium",
                    "file-not-executed",
                    f"no test executes this file ({statements} statements)",
                )
            )
            continue
        for name, line, fn_statements, fn_covered in functions:
            if fn_statements and not fn_covered:
                severity = "medium" if fn_statements >= BIG_FUNCTION_STATEMENTS else "low"
                findings.append(
                    Finding(rel, int(line), severity, "function-not-executed", f"no test executes {name}()")
                )
    return findings


class CoverageAgent(AgentTemplate):
    """Statement coverage of the non-test code by the repository's tests; failed tests."""

    name = "coverage"
    title = "Coverage"
    description = "pytest + coverage: runs the repository's tests; statement coverage and failures"
    tools = (PYTEST_COVERAGE,)

    def applies(self, repo: Repository) -> str | None:
        if not repo.sources():
            return "no non-test modules"
        return None if repo.tests() else "no tests found"

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        result = await ctx.project(PYTEST_COVERAGE)
        statements = sum(v[0] for v in result["files"].values())
        covered = sum(v[1] for v in result["files"].values())
        if not statements:
            raise ToolUnavailable("coverage measured no statements of the non-test code")
        percent = 100.0 * covered / statements
        tests = result["tests"]
        failed = tests["failed"] + tests["errors"]
        summary = (
            f"{percent:.1f}% of {plural(statements, 'statement')} covered; "
            f"{plural(tests['total'], 'test')}, {failed} failed"
        )
        return self.report(
            score=percent,
            findings=coverage_findings(result),
            summary=summary,
            metrics={
                "percent_covered": round(percent, 2),
                "statements": float(statements),
                "tests": float(tests["total"]),
                "failed": float(failed),
            },
        )

    async def critique(self, ctx: AnalysisContext, own: AgentReport, other: AgentReport) -> list[Verdict]:
        """Agree with findings on code no test executes: nothing would catch a regression there.

        That is a line coverage reports missing, or the first line of a function (or a
        whole file) that no test enters.
        """
        if own.status != "ok":
            return []
        try:
            result = await ctx.project(PYTEST_COVERAGE)
        except (ToolUnavailable, ToolFailed):
            return []
        untested: dict[str, set[int]] = {}
        never_run: set[str] = set()
        for rel, (statements, covered, missing, functions) in result["files"].items():
            if statements and not covered:
                never_run.add(rel)
            untested[rel] = set(missing) | {
                line
                for _name, line, fn_statements, fn_covered in functions
                if fn_statements and not fn_covered
            }
        return [
            Verdict(self.name, other.agent, f.file, f.line, f.rule, "agree", "no test executes this code")
            for f in other.findings
            if f.file in never_run or f.line in untested.get(f.file, ())
        ]
