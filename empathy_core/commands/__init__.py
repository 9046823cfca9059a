"""The core's own command groups, imported only when invoked."""

CORE_COMMANDS: dict[str, tuple[str, str]] = {
    "config": ("empathy_core.commands.config_cmd:config", "Show, validate or create empathy.config.yml."),
    "init": ("empathy_core.commands.init_cmd:init", "Write empathy.config.yml with every key commented."),
    "plugins": ("empathy_core.commands.plugins_cmd:plugins", "List, install and inspect plugins."),
    "workflow": ("empathy_core.commands.workflow_cmd:workflow", "List, describe and run workflows."),
}
