"""`{{ cookiecutter.plugin_name }}`: key points on the cheap tier, then the summary on the capable tier."""

from typing import Any

from empathy_core import BaseWorkflow, ModelTier

from {{ cookiecutter.package_name }}.plugin import PLUGIN
from {{ cookiecutter.package_name }}.settings import Settings


class {{ cookiecutter.workflow_class }}(BaseWorkflow):
    """Input `{"text": ...}`; output `{"points": ..., "summary": ...}`."""

    name = PLUGIN
    description = {{ cookiecutter.description|jsonify }}
    stages = ["extract", "summarize"]
    tier_map = {"extract": ModelTier.CHEAP, "summarize": ModelTier.CAPABLE}

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        if stage_name == "extract":
            if not str(input_data.get("text", "")).strip():
                raise ValueError('the input needs a non-empty "text"')
            reply = await self._call_llm(tier, "List the key points, one per line.", input_data["text"])
            output = {"points": reply.text}
        else:
            settings = self.empathy.settings(Settings)
            ask = f"Summarise these points as {settings.style} in at most {settings.max_words} words."
            reply = await self._call_llm(tier, ask, input_data["points"])
            output = {"points": input_data["points"], "summary": reply.text}
        return output, reply.usage.total_input_tokens, reply.usage.output_tokens
