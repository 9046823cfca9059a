"""Entry-point module: adds the ``telemetry`` group and ``cache stats`` (imported on use)."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl

CACHE_HELP = "Inspect and clear Empathy's caches."


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_core import get_or_create_group
    from empathy_telemetry.commands import cache_stats, telemetry

    cli.add_command(telemetry)
    get_or_create_group(cli, "cache", help=CACHE_HELP).add_command(cache_stats)
