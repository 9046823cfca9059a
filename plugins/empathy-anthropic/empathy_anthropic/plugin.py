"""Entry-point module: registers the ``anthropic`` provider, its settings and ``empathy batch``.

Nothing heavy is imported here; the SDK is imported on the first API call.
"""

from __future__ import annotations

from typing import Any

from empathy_core.hookspecs import hookimpl


@hookimpl
def empathy_register_providers(register: Any) -> None:
    from empathy_anthropic.provider import AnthropicProvider

    register("anthropic", AnthropicProvider.from_config)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_anthropic.settings import AnthropicSettings

    register(AnthropicSettings)


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_anthropic.commands import batch

    cli.add_command(batch)
