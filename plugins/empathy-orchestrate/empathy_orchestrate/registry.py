"""The agent and pattern registries (filled through this plugin's hooks) and the settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core.errors import UnknownNameError
from empathy_orchestrate.settings import OrchestrateSettings

if TYPE_CHECKING:
    from empathy_core.plugins import EmpathyPluginManager
    from empathy_orchestrate.agents.base import AgentTemplate


def agent_templates(pm: EmpathyPluginManager) -> dict[str, AgentTemplate]:
    """Name -> agent template, from ``empathy_register_agent_templates`` (registration order)."""
    registry = pm.collect("empathy_register_agent_templates", "agent template", key=lambda t: t.name)
    return {str(name): template for name, template in registry.items()}


def patterns(pm: EmpathyPluginManager) -> dict[str, Any]:
    """Name -> pattern class, from ``empathy_register_patterns``."""
    registry = pm.collect("empathy_register_patterns", "pattern", key=lambda cls: cls.name)
    return {str(name): cls for name, cls in registry.items()}


def pick_agents(templates: dict[str, AgentTemplate], names: list[str]) -> list[AgentTemplate]:
    """The templates named ``names``; an unknown name is an error listing the known ones."""
    unknown = [n for n in names if n not in templates]
    if unknown:
        raise UnknownNameError(
            f"unknown agent {unknown[0]!r} (registered: {', '.join(templates) or 'none'})", exit_code=2
        )
    return [templates[n] for n in names]


def orchestrate_settings(pm: EmpathyPluginManager) -> OrchestrateSettings:
    """The validated ``plugins.settings.empathy-orchestrate`` (defaults when unset)."""
    for owner, cls in pm.settings_classes().items():
        if cls is OrchestrateSettings:
            return pm.plugin_settings(str(owner))
    return OrchestrateSettings()
