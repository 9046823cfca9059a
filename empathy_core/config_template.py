"""Render a commented ``empathy.config.yml`` for the installed plugins."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any

import attrs
import yaml

from empathy_core.config import EmpathyConfig, config_as_dict

if TYPE_CHECKING:
    from empathy_core.plugins import EmpathyPluginManager

_HEADER = """\
# empathy.config.yml: written by `empathy config init`.
# Search order: --config > $EMPATHY_CONFIG > ./empathy.config.yml > ~/.config/empathy/config.yml
# Strings may use ${ENV_VAR} or ${ENV_VAR:-default}. The API key is best left in
# ANTHROPIC_API_KEY; `empathy config show` redacts it either way.
"""


def _commented(cls: type, data: dict[str, Any]) -> str:
    doc = (inspect.getdoc(cls) or "").split("\n")[0]
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False)
    return (f"# {doc}\n" if doc else "") + body


def render_config(pm: EmpathyPluginManager) -> str:
    """Core sections with their defaults, then ``plugins.settings`` for each plugin."""
    defaults = config_as_dict(EmpathyConfig(), redact=False)
    defaults.pop("api_key", None)
    parts = [_HEADER]
    for field in attrs.fields(EmpathyConfig):
        if field.name not in defaults:
            continue
        section_cls = field.type if attrs.has(field.type) else EmpathyConfig
        parts.append(_commented(section_cls, {field.name: defaults[field.name]}))
    settings: dict[str, Any] = {}
    for plugin_name, cls in pm.settings_classes().items():
        info = pm.infos.get(plugin_name)
        key = (info.dist if info and info.dist else None) or plugin_name
        settings[key] = attrs.asdict(cls())
    parts.append(
        "# Plugins: disable some by entry-point or distribution name; settings per plugin.\n"
        + yaml.safe_dump({"plugins": {"disable": [], "settings": settings}}, sort_keys=False)
    )
    parts.append(
        "# Hook call order: listed plugins are called first (outermost for wrappers).\n"
        "# hooks:\n#   empathy_run_stage: [telemetry]\n"
    )
    return "\n".join(parts)
