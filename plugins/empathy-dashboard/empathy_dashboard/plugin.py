"""Entry-point module: the ``empathy dashboard`` command (imported on use)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_dashboard.commands import dashboard

    cli.add_command(dashboard)
