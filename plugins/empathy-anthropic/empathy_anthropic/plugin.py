"""Entry-point module: the ``anthropic`` provider, its settings, its retry middleware and
``empathy batch``.

Nothing heavy is imported here; the SDK is imported on the first API call.
"""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_providers(register: Any) -> None:
    from empathy_anthropic.provider import AnthropicProvider

    register("anthropic", AnthropicProvider.from_config)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_anthropic.settings import AnthropicSettings

    register(AnthropicSettings)


@hookimpl
def empathy_llm_middleware() -> Any:
    """Retry Anthropic calls one HTTP attempt at a time, so each attempt is a usage record."""
    from empathy_anthropic.retry import make_retry_middleware

    return make_retry_middleware()


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_anthropic.commands import batch
    from empathy_core import get_or_create_group

    shared = get_or_create_group(cli, "batch", help=batch.help)  # empathy-batch adds to it too
    for command in batch.commands.values():
        shared.add_command(command)
