"""Entry-point module of empathy-orchestrate: hook implementations only, nothing heavy imported.

The plugin adds two hooks (``empathy_register_agent_templates``,
``empathy_register_patterns``) and registers its own agents and patterns through them,
like any third-party plugin would. It imports only ``empathy_core``'s public API.
"""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_add_hookspecs(pluginmanager: Any) -> None:
    """Add this plugin's two registration hooks (only that: the runtime calls them)."""
    from empathy_orchestrate import hookspecs

    caller = getattr(pluginmanager.hook, "empathy_register_agent_templates", None)
    if caller is None or not caller.has_spec():
        pluginmanager.add_hookspecs(hookspecs)


@hookimpl
def empathy_register_agent_templates(register: Any) -> None:
    from empathy_orchestrate.agents import BUILTIN_AGENTS

    for template in BUILTIN_AGENTS:
        register(template)


@hookimpl
def empathy_register_patterns(register: Any) -> None:
    from empathy_orchestrate.patterns import BUILTIN_PATTERNS

    for pattern in BUILTIN_PATTERNS:
        register(pattern)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_orchestrate.settings import OrchestrateSettings

    register(OrchestrateSettings)


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_core import get_or_create_group
    from empathy_orchestrate.commands import cache_clear, orchestrate

    cli.add_command(orchestrate)
    get_or_create_group(cli, "cache", help="Inspect and clear Empathy's caches.").add_command(cache_clear)
