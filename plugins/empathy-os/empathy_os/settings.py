"""Settings of EmpathyOS (``plugins.settings.empathy-os`` in YAML)."""

from __future__ import annotations

from typing import Any

import attrs

from empathy_core import check_level, check_name

DEFAULT_HANDLER = "default"
"""The handler name ``empathy-levels`` registers for every level."""


def _levels(value: Any) -> dict[int, str]:
    """Keys as levels: YAML writes ``4:`` (an int) or ``"4":`` (a string); both mean level 4."""
    if not isinstance(value, dict):
        raise ValueError(f"must be a mapping of level to handler name, got {type(value).__name__}")
    levels = {}
    for key, name in value.items():
        level = int(key) if isinstance(key, str) and key.isdigit() else key
        levels[check_level(level, "handlers key")] = check_name(name, f"handlers.{key}")
    return levels


def _between(low: int, high: int) -> Any:
    def validate(instance: Any, attribute: attrs.Attribute, value: int) -> None:
        if isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{attribute.name} must be from {low} to {high}, got {value!r}")

    return validate


def _name(instance: Any, attribute: attrs.Attribute, value: str) -> None:
    check_name(value, attribute.name)


@attrs.define
class EmpathyOSSettings:
    """Which handler serves each level, how much history a state keeps, where patterns go."""

    handlers: dict[Any, str] = attrs.field(factory=dict, converter=_levels)
    """Level (1 to 5) -> the name of the level handler to use; a level not listed uses
    ``default`` (the handlers of ``empathy-levels``)."""
    history_limit: int = attrs.field(default=50, validator=_between(1, 10_000))
    """Interactions and trust changes a collaboration state keeps (the oldest go first)."""
    library: str = attrs.field(default="shared", validator=_name)
    """The shared pattern library the CLI uses (``empathy os``, ``empathy patterns``)."""
    agent_id: str = attrs.field(default="empathy-os", validator=_name)
    """Agent id of EmpathyOS's short-term memory (namespace ``<user_id>.<agent_id>``)."""

    def handler_name(self, level: int) -> str:
        return self.handlers.get(level, DEFAULT_HANDLER)
