"""Build the index data (``empathy_core.index``) from a loaded plugin manager."""

from __future__ import annotations

import inspect
import sys
from typing import TYPE_CHECKING, Any

import click

from empathy_core.commands import CORE_COMMANDS
from empathy_core.serialize import to_dict

if TYPE_CHECKING:
    from empathy_core.runtime import Empathy
    from empathy_core.workflow import BaseWorkflow


def workflow_entry(cls: type[BaseWorkflow], plugin: str) -> dict[str, Any]:
    """What ``workflow list`` and ``workflow describe`` show for one workflow class."""
    return {
        "name": cls.name,
        "description": cls.description or (inspect.getdoc(cls) or "").split("\n")[0],
        "plugin": plugin,
        "stages": [list(group) for group in cls.stage_groups()],
        "tiers": {stage: cls.get_tier_for_stage(stage).value for stage in cls.stage_names()},
    }


def _source_file(obj: Any) -> str | None:
    module = sys.modules.get(getattr(obj, "__module__", None) or "") if not inspect.ismodule(obj) else obj
    return getattr(module, "__file__", None)


def build_catalog(empathy: Empathy) -> dict[str, Any]:
    """Commands (name, help, plugin), workflows and plugin infos, plus the files they came from."""
    from empathy_core.cli import placeholder_root

    group = placeholder_root()
    pm = empathy.plugin_manager
    owners = pm.register_commands(group)
    commands = {
        name: {"help": cmd.get_short_help_str(limit=80), "plugins": owners.get(name, [])}
        for name, cmd in group.commands.items()
        if name not in CORE_COMMANDS
    }
    extends = {  # core groups plugins added subcommands to
        name: {
            "subcommands": {sub: c.get_short_help_str(limit=80) for sub, c in sorted(cmd.commands.items())},
            "plugins": owners.get(name, []),
        }
        for name, cmd in group.commands.items()
        if name in CORE_COMMANDS and isinstance(cmd, click.Group) and cmd.commands
    }
    workflows = empathy.workflows()
    files = {_source_file(plugin) for _, plugin in pm.list_name_plugin()}
    files |= {_source_file(sys.modules["empathy_core.cli"]), _source_file(sys.modules["empathy_core"])}
    files |= {_source_file(e.cls) for e in workflows.values()}
    return {
        "plugins": [to_dict(info) for info in pm.infos.values()],
        "commands": commands,
        "extends": extends,
        "workflows": [workflow_entry(e.cls, workflows.owners[name]) for name, e in workflows.items()],
        "files": sorted(f for f in files if f),
    }
