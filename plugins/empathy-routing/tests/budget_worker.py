"""A process of the concurrent budget test: ``python budget_worker.py CALLS`` makes CALLS
concurrent LLM calls in one workflow run on the configured runtime and prints
``{"sent": n, "refused": [messages]}``. Not a test module."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from empathy_core import BaseWorkflow, Empathy, ModelTier

PROMPT = "Count the words of this sentence, slowly and carefully, one by one. " * 30


class Burst(BaseWorkflow):
    name = "budget-burst"
    description = "Many concurrent calls in one stage."
    stages = ["burst"]
    tier_map = {"burst": ModelTier.CHEAP}

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        calls = [
            self._call_llm(tier, "You count words.", f"{PROMPT} ({i})", max_tokens=200)
            for i in range(int(input_data["calls"]))
        ]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        refused = [str(o) for o in outcomes if isinstance(o, BaseException)]
        return {"sent": len(outcomes) - len(refused), "refused": refused}, 0, 0


def main() -> None:
    empathy = Empathy.from_config()
    Empathy.set_current(empathy)
    result = asyncio.run(Burst(empathy=empathy).execute({"calls": sys.argv[1]}))
    print(json.dumps(result.output if result.succeeded else {"error": result.error}))


if __name__ == "__main__":
    main()
