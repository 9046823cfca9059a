"""Entry-point module: EmpathyOS's settings and the ``os`` and ``patterns`` command groups
(imported on use)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_settings(register: Callable[..., None]) -> None:
    from empathy_os.settings import EmpathyOSSettings

    register(EmpathyOSSettings)


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_os import commands

    cli.add_command(commands.os_group)
    cli.add_command(commands.patterns_group)
