"""The engine's own hook implementations: the fallbacks every other plugin can override."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from empathy_core.hookspecs import hookimpl

if TYPE_CHECKING:
    from empathy_core.records import ModelTier
    from empathy_core.workflow import BaseWorkflow, StageContext


class EnginePlugin:
    """Default tier selection (the workflow's ``tier_map``) and stage execution."""

    @hookimpl(trylast=True)
    def empathy_select_tier(self, workflow: BaseWorkflow, stage: str) -> ModelTier:
        return workflow.get_tier_for_stage(stage)

    @hookimpl(trylast=True)
    def empathy_run_stage(self, ctx: StageContext) -> Awaitable[Any]:
        return ctx.run()
