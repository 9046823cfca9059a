"""Performance: complexity hot spots and nested loops from the syntax tree; slow tests."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from empathy_orchestrate.agents.base import AgentTemplate, count_summary, density_score
from empathy_orchestrate.analyzers.coverage import PYTEST_COVERAGE
from empathy_orchestrate.analyzers.facts import AST_FACTS
from empathy_orchestrate.errors import ToolFailed, ToolUnavailable
from empathy_orchestrate.records import AgentReport, Finding

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository

HALF_SCORE_PER_KLOC = 5.0
HOT_COMPLEXITY = 15
DEEP_LOOPS = 3
SLOW_FACTOR_MEDIUM = 5
TEST_WAIT_SHARE = 0.9


def hot_spots(rel: str, functions: list[list[Any]]) -> list[Finding]:
    """Loops nested three deep, and complex functions containing nested loops."""
    out = []
    for name, line, _end, complexity, _nesting, loops, _params, _hash in functions:
        if loops >= DEEP_LOOPS:
            out.append(
                Finding(
                    rel,
                    line,
                    "medium",
                    "nested-loops",
                    f"{name}() nests {loops} loops: O(n^{loops}) on large inputs",
                )
            )
        elif complexity >= HOT_COMPLEXITY and loops >= 2:
            out.append(
                Finding(
                    rel,
                    line,
                    "low",
                    "complex-loop",
                    f"{name}() has complexity {complexity} around nested loops",
                )
            )
    return out


class PerformanceAgent(AgentTemplate):
    """Where time goes: deep loop nests, complex loop bodies, and the slowest tests.

    Slow tests come from the Coverage agent's test run when that agent is in the same
    run (the tests are never run twice); otherwise only the static analysis counts.
    """

    name = "performance"
    title = "Performance"
    description = "AST hot spots (nested loops, complex loop bodies) and slow tests from pytest timings"
    tools = (AST_FACTS,)
    modes = frozenset({"weekly", "release"})

    def applies(self, repo: Repository) -> str | None:
        return None if repo.sources() else "no non-test modules"

    def options(self, ctx: AnalysisContext) -> str:
        tests = "off"
        if "coverage" in ctx.selected:
            try:
                PYTEST_COVERAGE.check(ctx)
                tests = PYTEST_COVERAGE.key(ctx)
            except ToolUnavailable as exc:
                tests = f"unavailable: {exc}"
        return f"tests={tests};slow={ctx.settings.slow_test_seconds}"

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        facts = await ctx.per_file(AST_FACTS)
        sources = ctx.repo.sources()
        findings = [f for file in sources for f in hot_spots(file.rel, facts[file.rel]["functions"])]
        slow, note, complete = await self._slow_tests(ctx)
        findings += slow
        summary = count_summary(findings, "hot spot")
        return self.report(
            score=density_score(findings, ctx.lines_of(sources), HALF_SCORE_PER_KLOC),
            findings=findings,
            summary=f"{summary}; {note}",
            metrics={"slow_tests": float(len(slow))},
            complete=complete,
        )

    async def _slow_tests(self, ctx: AnalysisContext) -> tuple[list[Finding], str, bool]:
        """Slow-test findings, a note for the summary, and whether timings were measured as asked."""
        if "coverage" not in ctx.selected:
            return [], "test timings not measured (coverage agent not in this run)", True
        wait = ctx.settings.timeout_for(self.name) * TEST_WAIT_SHARE
        try:
            result = await asyncio.wait_for(ctx.project(PYTEST_COVERAGE), wait)
        except ToolUnavailable as exc:
            return [], f"test timings not measured ({exc})", True
        except (ToolFailed, TimeoutError) as exc:
            return [], f"test timings not measured ({exc or 'timeout'})", False
        threshold = ctx.settings.slow_test_seconds
        slow = []
        for test, file, line, seconds in result["durations"]:
            if seconds >= threshold:
                severity = "medium" if seconds >= threshold * SLOW_FACTOR_MEDIUM else "low"
                slow.append(
                    Finding(file or "?", int(line), severity, "slow-test", f"{test} takes {seconds:.2f} s")
                )
        return slow, f"{len(slow)} tests slower than {threshold:g} s", True
