"""Refactoring: complex, long, deeply nested or duplicated functions, from the syntax tree."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from empathy_orchestrate.agents.base import AgentTemplate, count_summary, density_score
from empathy_orchestrate.analyzers.facts import AST_FACTS
from empathy_orchestrate.records import AgentReport, Finding

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository

HALF_SCORE_PER_KLOC = 10.0
COMPLEX, VERY_COMPLEX = 10, 20
LONG, VERY_LONG = 60, 120
MANY_PARAMS = 6
DEEP_NESTING = 4


def function_findings(rel: str, functions: list[list[Any]]) -> list[Finding]:
    """Complexity, length, parameter count and nesting findings of one file's functions."""
    out = []
    for name, line, end, complexity, nesting, _loops, params, _hash in functions:
        length = end - line + 1
        if complexity > COMPLEX:
            severity = "high" if complexity > VERY_COMPLEX else "medium"
            out.append(
                Finding(rel, line, severity, "complex-function", f"{name}() has complexity {complexity}")
            )
        if length > LONG:
            severity = "medium" if length > VERY_LONG else "low"
            out.append(Finding(rel, line, severity, "long-function", f"{name}() is {length} lines long"))
        if params > MANY_PARAMS:
            out.append(Finding(rel, line, "low", "many-parameters", f"{name}() takes {params} parameters"))
        if nesting > DEEP_NESTING:
            out.append(Finding(rel, line, "medium", "deep-nesting", f"{name}() nests blocks {nesting} deep"))
    return out


class RefactoringAgent(AgentTemplate):
    """Functions worth splitting or merging: complexity, length, parameters, nesting, clones."""

    name = "refactoring"
    title = "Refactoring"
    description = "complexity, long functions, many parameters, deep nesting and duplicated bodies (AST)"
    tools = (AST_FACTS,)
    modes = frozenset({"release"})

    def applies(self, repo: Repository) -> str | None:
        return None if repo.sources() else "no non-test modules"

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        facts = await ctx.per_file(AST_FACTS)
        sources = ctx.repo.sources()
        findings: list[Finding] = []
        clones: dict[str, list[tuple[str, int, str]]] = defaultdict(list)
        for file in sources:
            functions = facts[file.rel]["functions"]
            findings += function_findings(file.rel, functions)
            for name, line, *_metrics, body in functions:
                if body:
                    clones[body].append((file.rel, line, name))
        duplicated = 0
        for places in clones.values():
            first_rel, first_line, first_name = places[0]
            for rel, line, name in places[1:]:
                duplicated += 1
                findings.append(
                    Finding(
                        rel,
                        line,
                        "medium",
                        "duplicate-code",
                        f"{name}() has the same body as {first_name}() at {first_rel}:{first_line}",
                    )
                )
        return self.report(
            score=density_score(findings, ctx.lines_of(sources), HALF_SCORE_PER_KLOC),
            findings=findings,
            summary=count_summary(findings, "refactoring candidate"),
            metrics={"duplicates": float(duplicated)},
        )
