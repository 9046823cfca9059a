"""Security: bandit over every Python file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from empathy_orchestrate.agents.base import AgentTemplate, count_summary, density_score, file_findings, plural
from empathy_orchestrate.analyzers.bandit import BANDIT
from empathy_orchestrate.records import AgentReport

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext

HALF_SCORE_PER_KLOC = 5.0


class SecurityAgent(AgentTemplate):
    """Injection, unsafe deserialisation, shell calls, weak crypto, hard-coded secrets."""

    name = "security"
    title = "Security"
    description = "bandit: injection, shell calls, unsafe eval/pickle/yaml, weak crypto, secrets"
    tools = (BANDIT,)

    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        results = await ctx.per_file(BANDIT)
        findings = file_findings(results)
        counts = {s: sum(f.severity == s for f in findings) for s in ("high", "medium", "low")}
        return self.report(
            score=density_score(findings, ctx.lines_of(ctx.repo.files), HALF_SCORE_PER_KLOC),
            findings=findings,
            summary=f"{count_summary(findings, 'issue')} in {plural(len(results), 'file')}",
            metrics={k: float(v) for k, v in counts.items()},
        )
