"""One interaction as a one-stage workflow on the engine, and the level handler it runs.

Each level has a workflow class ``empathy-os`` whose single stage is the level's name
(``reactive`` ... ``systems``), so routing, stage middleware (heartbeats, approvals),
lifecycle hooks and telemetry see every interaction, and every LLM call a handler makes
through :meth:`EmpathyOS.complete <empathy_os.EmpathyOS.complete>` goes through the LLM
middleware chain: priced, recorded, retried, budgeted like any workflow's.
"""

from __future__ import annotations

import contextvars
import inspect
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from empathy_core import (
    LEVEL_NAMES,
    BaseWorkflow,
    EmpathyError,
    EmpathyResponse,
    LLMRequest,
    LLMResponse,
    ModelTier,
    UnknownNameError,
    current_stage,
)

if TYPE_CHECKING:
    from empathy_core import Empathy, LevelHandlerEntry
    from empathy_os.empathy import EmpathyOS
    from empathy_os.settings import EmpathyOSSettings

WORKFLOW_NAME = "empathy-os"
LEVEL_TIERS = {
    1: ModelTier.CHEAP,
    2: ModelTier.CHEAP,
    3: ModelTier.CAPABLE,
    4: ModelTier.CAPABLE,
    5: ModelTier.CAPABLE,
}
"""The tier each level's stage runs on unless routing says otherwise."""

_turn: contextvars.ContextVar[Turn | None] = contextvars.ContextVar("empathy_os_turn", default=None)


def handler_entry(empathy: Empathy, settings: EmpathyOSSettings, level: int) -> LevelHandlerEntry:
    """The handler configured for ``level``; :class:`UnknownNameError` naming what is installed."""
    name = settings.handler_name(level)
    registry = empathy.level_handlers()
    entry = registry.get((level, name))
    if entry is None:
        installed = sorted(n for (lvl, n) in registry if lvl == level)
        known = ", ".join(repr(n) for n in installed) or "none installed; install empathy-levels"
        raise UnknownNameError(
            f"no level {level} ({LEVEL_NAMES[level]}) handler named {name!r} ({known}); "
            f"set plugins.settings.empathy-os.handlers.{level}"
        )
    return entry


class Turn(BaseWorkflow):
    """One interaction: its stage calls the level handler with the EmpathyOS."""

    name = WORKFLOW_NAME
    description = "One EmpathyOS interaction, answered by the handler of its level."
    level: ClassVar[int] = 1

    def __init__(self, os: EmpathyOS, entry: LevelHandlerEntry, user_input: str, context: dict[str, Any]):
        super().__init__(empathy=os.empathy, user_id=os.user_id)
        self.os, self.entry = os, entry
        self.user_input, self.context = user_input, context
        self.tokens_in = self.tokens_out = 0

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        token = _turn.set(self)
        try:
            answer = self.entry.handler(self.os, self.user_input, self.context)
            if inspect.isawaitable(answer):
                answer = await answer
        finally:
            _turn.reset(token)
        if not isinstance(answer, EmpathyResponse):
            raise TypeError(
                f"level {self.level} handler {self.entry.name!r} returned {type(answer).__name__}, "
                "not an EmpathyResponse"
            )
        return answer, self.tokens_in, self.tokens_out

    async def complete(self, request: LLMRequest) -> LLMResponse:
        response = await self.call_llm(request)
        self.tokens_in += response.usage.total_input_tokens
        self.tokens_out += response.usage.output_tokens
        return response


TURNS: dict[int, type[Turn]] = {
    level: type(
        f"{name.title()}Turn",
        (Turn,),
        {"level": level, "stages": (name,), "tier_map": {name: LEVEL_TIERS[level]}},
    )
    for level, name in LEVEL_NAMES.items()
}


def current_turn() -> Turn:
    """The interaction whose handler is running; ``RuntimeError`` outside a handler."""
    turn = _turn.get()
    if turn is None:
        raise RuntimeError("EmpathyOS.complete() is for level handlers, during an interaction")
    return turn


def stage_tier() -> ModelTier:
    stage = current_stage()
    return stage.tier if stage is not None else ModelTier.CAPABLE


async def run_turn(os: EmpathyOS, level: int, user_input: str, context: dict[str, Any]) -> EmpathyResponse:
    """Run ``level``'s configured handler as a one-stage workflow; its response, named."""
    entry = handler_entry(os.empathy, os.settings, level)
    result = await TURNS[level](os, entry, user_input, context).execute({"level": level})
    if result.status != "success":
        raise EmpathyError(f"EmpathyOS level {level} ({LEVEL_NAMES[level]}): {result.error}")
    response: EmpathyResponse = result.output
    if response.level != level or response.handler != entry.name:
        response = attrs.evolve(response, level=level, handler=entry.name)
    return response
