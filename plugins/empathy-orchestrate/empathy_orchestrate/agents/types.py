"""Types: mypy over the non-test modules."""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_orchestrate.agents.base import AgentTemplate, count_summary, density_score, plural
from empathy_orchestrate.analyzers.mypy import MYPY
from empathy_orchestrate.records import AgentReport, finding_from_row

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository

HALF_SCORE_PER_KLOC = 5.0


class TypesAgent(AgentTemplate):
    """Type errors mypy finds with the repository's mypy configuration."""

    name = "types"
    title = "Types"
    description = "mypy: type errors in the non-test modules, with the repository's configuration"
    tools = (MYPY,)

    def applies(self, repo: Repository) -> str | None:
        return None if repo.sources() else "no non-test modules"

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        rows = await ctx.project(MYPY)
        findings = [finding_from_row(row) for row in rows]
        checked = MYPY.inputs(ctx.repo)
        return self.report(
            score=density_score(findings, ctx.lines_of(checked), HALF_SCORE_PER_KLOC),
            findings=findings,
            summary=f"{count_summary(findings, 'type error')} in {plural(len(checked), 'module')}",
            metrics={"errors": float(len(findings))},
        )
