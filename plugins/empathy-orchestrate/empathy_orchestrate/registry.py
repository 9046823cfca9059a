"""The agent and pattern registries (filled through this plugin's hooks) and the settings.

Each takes the runtime (:class:`empathy_core.Empathy`): the registries come from
``empathy.collect`` (isolated and cached per runtime, like the core's), the settings from
``empathy.settings(OrchestrateSettings)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import UnknownNameError
from empathy_orchestrate.settings import OrchestrateSettings

if TYPE_CHECKING:
    from empathy_core import Empathy
    from empathy_orchestrate.agents.base import AgentTemplate

AGENT_TEMPLATES = "empathy_register_agent_templates"
PATTERNS = "empathy_register_patterns"


def agent_templates(empathy: Empathy) -> dict[str, AgentTemplate]:
    """Name -> agent template, from ``empathy_register_agent_templates`` (registration order)."""
    registry = empathy.collect(AGENT_TEMPLATES, "agent template", key=lambda t: t.name)
    return {str(name): template for name, template in registry.items()}


def agent_owners(empathy: Empathy) -> dict[str, str]:
    """Agent name -> the plugin that registered it."""
    registry = empathy.collect(AGENT_TEMPLATES, "agent template", key=lambda t: t.name)
    return {str(name): owner for name, owner in registry.owners.items()}


def patterns(empathy: Empathy) -> dict[str, Any]:
    """Name -> pattern class, from ``empathy_register_patterns``."""
    registry = empathy.collect(PATTERNS, "pattern", key=lambda cls: cls.name)
    return {str(name): cls for name, cls in registry.items()}


def pick_agents(templates: dict[str, AgentTemplate], names: list[str]) -> list[AgentTemplate]:
    """The templates named ``names``; an unknown name is an error listing the known ones."""
    unknown = [n for n in names if n not in templates]
    if unknown:
        raise UnknownNameError(
            f"unknown agent {unknown[0]!r} (registered: {', '.join(templates) or 'none'})", exit_code=2
        )
    return [templates[n] for n in names]


def orchestrate_settings(empathy: Empathy) -> OrchestrateSettings:
    """The validated ``plugins.settings.empathy-orchestrate`` (defaults when unset)."""
    settings: OrchestrateSettings = empathy.settings(OrchestrateSettings)
    return settings
