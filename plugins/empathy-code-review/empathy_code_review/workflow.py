"""``code-review``: cheap triage of each file, capable review, premium synthesis.

The files' text is the cached context of the review stages, so the second and third
calls read it from the prompt cache instead of paying for it again.
"""

from __future__ import annotations

from typing import Any

from empathy_code_review.sources import collect_sources
from empathy_core.records import ModelTier
from empathy_core.workflow import BaseWorkflow

TRIAGE = "You triage source files for a code review. Name the riskiest spots, one per line."
REVIEW = (
    "You are a senior reviewer. For each issue write: file:line | severity (high/medium/low) "
    "| issue. Focus areas: {focus}."
)
SYNTHESIS = "Summarise the review for the author: the three most important fixes first."


class CodeReviewWorkflow(BaseWorkflow):
    """Review Python files: triage (cheap), review (capable), synthesis (premium)."""

    name = "code-review"
    description = "Tiered code review: cheap triage, capable review, premium synthesis."
    stages = ["triage", "review", "synthesize"]
    tier_map = {"triage": ModelTier.CHEAP, "review": ModelTier.CAPABLE, "synthesize": ModelTier.PREMIUM}

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        if stage_name == "triage":
            sources = collect_sources(input_data.get("path", "."), input_data.get("files", ()))
            context = "\n\n".join(f"# file: {s.path}\n{s.text}" for s in sources)
            reply = await self._call_llm(tier, TRIAGE, "Triage these files.", cached_context=context)
            output = {"files": [s.path for s in sources], "context": context, "triage": reply.text}
        elif stage_name == "review":
            focus = ", ".join(input_data.get("focus_areas", ["correctness", "security"]))
            reply = await self._call_llm(
                tier,
                REVIEW.format(focus=focus),
                f"Triage notes:\n{input_data['triage']}",
                cached_context=input_data["context"],
            )
            output = {"review": reply.text}
        else:
            reply = await self._call_llm(tier, SYNTHESIS, input_data["review"])
            output = {"files": input_data["files"], "review": input_data["review"], "summary": reply.text}
        usage = reply.usage
        return output, usage.total_input_tokens, usage.output_tokens
