"""Middleware chains around a stage and around a single LLM call.

A middleware is ``async def mw(ctx, call_next)``: it may inspect or replace ``ctx``,
call ``await call_next(ctx)`` any number of times (zero: a short-circuit such as a cache
hit; several: a retry or a fallback to another model), and map what the inner call
raised. Each ``call_next`` starts a fresh inner call, so nothing is awaited twice.
:func:`compose` builds the chain once; the first middleware is the outermost.

A middleware whose own code fails (an exception that is not an
:class:`~empathy_core.errors.EmpathyError` and did not come out of ``call_next``) is a
broken plugin: it is reported once, disabled, and the call goes on without it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core.errors import EmpathyError

if TYPE_CHECKING:
    from empathy_core.records import LLMRequest, ModelTier
    from empathy_core.runtime import Empathy
    from empathy_core.workflow import BaseWorkflow, StageContext

Handler = Callable[[Any], Awaitable[Any]]
Middleware = Callable[[Any, Handler], Awaitable[Any]]


@attrs.define
class LLMCallContext:
    """One LLM call as LLM middleware sees it.

    ``model`` is the model that will be asked (change it, or build a new context with
    :meth:`evolve`, to fall back to another); ``attempt`` counts calls that reached the
    provider within this call; ``stage`` is ``None`` outside a workflow.
    """

    empathy: Empathy
    request: LLMRequest
    model: str
    provider: Any
    workflow: BaseWorkflow | None = None
    stage: StageContext | None = None
    attempt: int = 0
    state: dict[str, Any] = attrs.Factory(dict)

    @property
    def tier(self) -> ModelTier:
        return self.request.tier

    def evolve(self, **changes: Any) -> LLMCallContext:
        """A copy with ``changes`` (for example ``model=``) sharing ``state``."""
        return attrs.evolve(self, **changes)


@attrs.define
class _Guarded:
    """One plugin's middleware, with failures of its own code isolated."""

    plugin: str
    hook: str
    middleware: Middleware
    on_failure: Callable[[str, str, BaseException], None]
    disabled: bool = False

    async def __call__(self, ctx: Any, call_next: Handler) -> Any:
        if self.disabled:
            return await call_next(ctx)
        seen: dict[str, Any] = {}

        async def tracked(inner_ctx: Any) -> Any:
            try:
                result = await call_next(inner_ctx)
            except BaseException as exc:
                seen["error"] = exc
                raise
            seen["result"] = result
            return result

        try:
            return await self.middleware(ctx, tracked)
        except Exception as exc:
            if "error" in seen or isinstance(exc, EmpathyError):
                raise
            self.disabled = True
            self.on_failure(self.plugin, self.hook, exc)
            return seen["result"] if "result" in seen else await call_next(ctx)


def compose(
    middlewares: Sequence[tuple[str, Middleware]],
    innermost: Handler,
    *,
    hook: str,
    on_failure: Callable[[str, str, BaseException], None],
) -> Handler:
    """``innermost`` wrapped by ``middlewares`` (``(plugin, mw)`` pairs, first outermost)."""
    handler = innermost
    for plugin, mw in reversed(middlewares):
        guarded = _Guarded(plugin, hook, mw, on_failure)

        def link(ctx: Any, _mw: _Guarded = guarded, _next: Handler = handler) -> Awaitable[Any]:
            return _mw(ctx, _next)

        handler = link
    return handler
