"""Quality: ruff with the repository's own configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_orchestrate.agents.base import AgentTemplate, count_summary, density_score, file_findings, plural
from empathy_orchestrate.analyzers.ruff import RUFF
from empathy_orchestrate.records import AgentReport

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext

HALF_SCORE_PER_KLOC = 10.0


class QualityAgent(AgentTemplate):
    """Lint: likely bugs (undefined names, unused variables), bugbear patterns, style."""

    name = "quality"
    title = "Quality"
    description = "ruff: likely bugs, bugbear patterns and style, with the repository's configuration"
    tools = (RUFF,)

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        results = await ctx.per_file(RUFF)
        findings = file_findings(results)
        return self.report(
            score=density_score(findings, ctx.lines_of(ctx.repo.files), HALF_SCORE_PER_KLOC),
            findings=findings,
            summary=f"{count_summary(findings, 'issue')} in {plural(len(results), 'file')}",
            metrics={"issues": float(len(findings))},
        )
