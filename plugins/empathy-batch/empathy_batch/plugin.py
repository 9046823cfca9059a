"""Entry-point module: the ``batch tasks|run|collect`` commands (imported on use)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl

HELP = "Submit Message Batches (50 % price) and fetch their results."


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_batch.commands import COMMANDS
    from empathy_core import get_or_create_group

    group = get_or_create_group(cli, "batch", help=HELP)
    for command in COMMANDS:
        group.add_command(command)
