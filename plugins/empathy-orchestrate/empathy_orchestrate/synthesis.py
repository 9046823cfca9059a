"""Optional LLM synthesis of a health report: a cheap draft corrected by a capable model.

It runs only when an LLM is configured (an API key, or an explicit provider) and never
in ``--offline`` mode; the analysis itself never needs it (no agent calls an LLM). The
calls go through a :class:`empathy_core.BaseWorkflow` built on the runtime, so routing,
stage and LLM middleware and telemetry (one usage record per call, from the core's
innermost LLM middleware) apply as for any workflow. The stage is the Teaching pattern:
the CHEAP tier drafts the advice, the CAPABLE tier corrects it. A synthesis is cached with
the brief it was written from, so an unchanged tree does not pay for it twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import BaseWorkflow, ModelTier
from empathy_orchestrate import fingerprint
from empathy_orchestrate.patterns import Teaching
from empathy_orchestrate.records import HealthReport

if TYPE_CHECKING:
    from empathy_core import Empathy

DRAFT = (
    "You are a senior engineer reading an automated code-health report. Write the three "
    "most valuable next actions for the team, most important first, each one line naming "
    "the file or area. Use only facts from the report."
)
REVIEW = (
    "You review a junior colleague's draft of next actions for a code-health report. "
    "Correct anything the report does not support, reorder by impact, keep at most three "
    "one-line actions. Reply with the corrected list only."
)


def brief(report: HealthReport) -> str:
    """The report as the plain text the models read (scores, summaries, top findings)."""
    lines = [f"Repository health score: {report.score} / 100 ({report.mode} mode)"]
    for agent in report.agents:
        score = "not measured" if agent.score is None else f"{agent.score:.1f}"
        lines.append(f"- {agent.agent}: {score} [{agent.status}] {agent.summary}")
    lines.append("Top findings:")
    for ranked in report.top_findings:
        f = ranked.finding
        lines.append(f"- [{f.severity}] {ranked.agent} {f.location()} {f.rule}: {f.message}")
    return "\n".join(lines)


class HealthSynthesis(BaseWorkflow):
    """One stage: the Teaching pattern over the report's brief."""

    name = "orchestrate-synthesis"
    description = "Next actions from a health report: cheap draft, capable correction."
    stages = ["synthesize"]
    tier_map = {"synthesize": ModelTier.CAPABLE}

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        async def draft(text: str) -> Any:
            return await self._call_llm(ModelTier.CHEAP, DRAFT, text, max_tokens=600)

        async def correct(text: str, drafted: Any) -> Any:
            return await self._call_llm(
                ModelTier.CAPABLE, REVIEW, f"{text}\n\nDraft to correct:\n{drafted.text}", max_tokens=800
            )

        lesson = await Teaching(student=draft, teacher=correct)(input_data["brief"])
        responses = [lesson.draft, lesson.final] if lesson.corrected else [lesson.final]
        tokens_in = sum(r.usage.total_input_tokens for r in responses)
        tokens_out = sum(r.usage.output_tokens for r in responses)
        return {"summary": lesson.final.text}, tokens_in, tokens_out


def wanted(empathy: Empathy, *, offline: bool, provider: str | None) -> bool:
    """Whether to synthesise: never offline; with an explicit provider or a configured API key."""
    return not offline and (provider is not None or bool(empathy.config.api_key))


async def synthesize(report: HealthReport, empathy: Empathy, cache: Any, *, provider: str | None) -> None:
    """Set ``report.synthesis`` (or ``report.synthesis_error``); reuses a cached synthesis."""
    text = brief(report)
    key = "synthesis:" + fingerprint.combine([text, provider or empathy.config.provider])
    cached = cache.get_memo(key)
    if isinstance(cached, str):
        report.synthesis = cached
        return
    try:
        workflow = HealthSynthesis(empathy=empathy, provider_name=provider)
        result = await workflow.execute({"brief": text})
    except Exception as exc:  # an unknown provider, for one: the analysis stands without it
        report.synthesis_error = f"{type(exc).__name__}: {exc}"
        return
    if result.succeeded:
        report.synthesis = result.output["summary"]
        cache.put_memo(key, report.synthesis)
    else:
        report.synthesis_error = result.error
