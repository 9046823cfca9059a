"""Docs: docstring coverage of the public API, from the syntax tree."""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_orchestrate.agents.base import AgentTemplate, plural
from empathy_orchestrate.analyzers.facts import AST_FACTS
from empathy_orchestrate.errors import ToolUnavailable
from empathy_orchestrate.records import AgentReport, Finding

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository


class DocsAgent(AgentTemplate):
    """Share of public modules, classes, functions and methods that have a docstring."""

    name = "docs"
    title = "Docs"
    description = "docstring coverage of public modules, classes, functions and methods (AST)"
    tools = (AST_FACTS,)
    modes = frozenset({"weekly", "release"})

    def applies(self, repo: Repository) -> str | None:
        return None if repo.sources() else "no non-test modules"

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        facts = await ctx.per_file(AST_FACTS)
        findings: list[Finding] = []
        total = 0
        for file in ctx.repo.sources():
            for kind, qualname, line, documented in facts[file.rel]["docs"]:
                total += 1
                if not documented:
                    what = "module" if kind == "module" else f"{kind} {qualname}"
                    findings.append(
                        Finding(
                            file.rel, line, "low", f"missing-docstring-{kind}", f"{what} has no docstring"
                        )
                    )
        if not total:
            raise ToolUnavailable("no public definitions to document")
        percent = 100.0 * (total - len(findings)) / total
        return self.report(
            score=percent,
            findings=findings,
            summary=f"{percent:.1f}% of {plural(total, 'public definition')} documented",
            metrics={"percent_documented": round(percent, 2), "definitions": float(total)},
        )
