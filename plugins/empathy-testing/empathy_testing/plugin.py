"""Entry-point module: registers the deterministic ``mock`` provider."""

from __future__ import annotations

from typing import Any

from empathy_core import hookimpl


@hookimpl
def empathy_register_providers(register: Any) -> None:
    from empathy_testing.mock_provider import MockProvider

    register("mock", MockProvider.from_config)


@hookimpl
def empathy_register_settings(register: Any) -> None:
    from empathy_testing.mock_provider import MockSettings

    register(MockSettings)
