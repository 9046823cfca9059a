"""Fixtures: EmpathyOS with these handlers on the mock provider (``runtime``) or on the real
Anthropic SDK talking to the fake API server (``anthropic``), SQLite memory in both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import empathy_levels.plugin as levels_plugin
import empathy_os.plugin as os_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import EmpathyConfig
from empathy_os import EmpathyOS, PatternLibrary


def _configure(empathy: Any, provider: str, extra: list[Any]) -> Any:
    empathy.config = EmpathyConfig(provider=provider)
    empathy.plugins += [sqlite_plugin, levels_plugin, *extra]
    return empathy.add(os_plugin, name="os", dist="empathy-os")


@pytest.fixture
def runtime(empathy: Any) -> Any:
    return _configure(empathy, "mock", [])


@pytest.fixture
def anthropic(empathy: Any, fake_anthropic: Any) -> Any:
    import empathy_anthropic.plugin as anthropic_plugin

    return _configure(empathy, "anthropic", [anthropic_plugin])


@pytest.fixture
def shared(empathy: Any) -> Callable[..., PatternLibrary]:
    def make(tier: str = "steward", agent_id: str = "keeper") -> PatternLibrary:
        return PatternLibrary("shared", empathy=empathy.get(), access_tier=tier, agent_id=agent_id)

    return make


@pytest.fixture
def make_os(empathy: Any, shared: Callable[..., PatternLibrary]) -> Callable[..., EmpathyOS]:
    def make(user_id: str = "dev", **kwargs: Any) -> EmpathyOS:
        kwargs.setdefault("shared_library", shared())
        kwargs.setdefault("target_level", 5)
        return EmpathyOS(user_id, empathy=empathy.get(), **kwargs)

    return make
