"""Small workflows for tests: known stages, tiers and calls."""

from __future__ import annotations

from typing import Any

from empathy_core import BaseWorkflow, ModelTier


class ThreeTierWorkflow(BaseWorkflow):
    """One LLM call per stage: ``scan`` (CHEAP), ``analyse`` (CAPABLE), ``summarise`` (PREMIUM).

    Each stage outputs ``{"<stage>_text": reply}`` and asks about ``input_data["topic"]``.
    """

    name = "three-tier"
    description = "One LLM call on each tier."
    stages = ["scan", "analyse", "summarise"]
    tier_map = {"scan": ModelTier.CHEAP, "analyse": ModelTier.CAPABLE, "summarise": ModelTier.PREMIUM}

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        reply = await self._call_llm(tier, f"You run {stage_name}.", f"Process {input_data.get('topic')}")
        return {f"{stage_name}_text": reply.text}, reply.usage.input_tokens, reply.usage.output_tokens
