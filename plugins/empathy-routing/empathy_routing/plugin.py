"""Entry-point module: the router strategies, the plugin's settings, the fallback and budget
LLM middleware, the routing history sink and the ``routing`` and ``feedback`` commands.

Nothing heavy is imported here; each hook imports what it needs when it runs.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from empathy_core import hookimpl

if TYPE_CHECKING:
    from empathy_core import Empathy, UsageRecord

log = logging.getLogger("empathy.routing")


@hookimpl
def empathy_register_router_strategies(register: Any) -> None:
    from empathy_routing.strategies import register as register_strategies

    register_strategies(register)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_routing.settings import RoutingSettings

    register(RoutingSettings)


@hookimpl(tryfirst=True)
def empathy_llm_middleware(empathy: Empathy) -> Any:
    """Outermost: fallbacks and budgets see one call, the provider's retries are inside."""
    from empathy_routing.middleware import llm_middleware

    return llm_middleware(empathy)


@hookimpl
def empathy_record_usage(empathy: Empathy, record: UsageRecord) -> None:
    """Keep each workflow call in the routing history (never fails the sink chain)."""
    if not (record.workflow and record.stage):
        return
    from empathy_routing.history import remember

    remember(empathy, record)


@hookimpl
def empathy_unconfigure(empathy: Empathy) -> None:
    from empathy_routing.wiring import close_store

    close_store(empathy)


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_routing.commands import feedback, routing

    cli.add_command(routing)
    cli.add_command(feedback)
