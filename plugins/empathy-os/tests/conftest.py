"""Fixtures: a runtime with the mock provider, the SQLite memory store, the default level
handlers and this plugin (``runtime``), the same over Redis when a server answers
(``backend``, parametrized), and EmpathyOS / library factories on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

import empathy_levels.plugin as levels_plugin
import empathy_os.plugin as os_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import CoordinationConfig, EmpathyConfig, PluginsConfig
from empathy_os import EmpathyOS, PatternLibrary


def configure(empathy: Any, config: EmpathyConfig | None = None) -> Any:
    """Mock provider (unless ``config`` says otherwise), SQLite, the levels and EmpathyOS."""
    empathy.config = config or EmpathyConfig(provider="mock")
    empathy.plugins += [sqlite_plugin, levels_plugin]
    return empathy.add(os_plugin, name="os", dist="empathy-os")


@pytest.fixture
def runtime(empathy: Any) -> Any:
    return configure(empathy)


@pytest.fixture
def runtime_with(empathy: Any) -> Callable[..., Any]:
    """``runtime_with(config)``: the runtime of ``runtime`` with another configuration."""
    return lambda config: configure(empathy, config)


@pytest.fixture
def make_os(runtime: Any) -> Callable[..., EmpathyOS]:
    def make(user_id: str = "user_123", **kwargs: Any) -> EmpathyOS:
        return EmpathyOS(user_id, empathy=runtime, **kwargs)

    return make


@pytest.fixture
def make_library(runtime: Any) -> Callable[..., PatternLibrary]:
    def make(tier: str = "contributor", agent_id: str = "agent-a", name: str = "shared") -> PatternLibrary:
        return PatternLibrary(name, empathy=runtime, access_tier=tier, agent_id=agent_id)

    return make


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, empathy: Any) -> Iterator[Any]:
    """The runtime on each store that serves the ``memory`` role."""
    if request.param == "sqlite":
        yield configure(empathy)
        return
    testing = pytest.importorskip("empathy_redis.testing", reason="empathy-redis is not installed")
    url = testing.require_redis()
    import empathy_redis.plugin as redis_plugin

    with testing.redis_prefix(url) as prefix:
        runtime = configure(
            empathy,
            EmpathyConfig(
                provider="mock",
                coordination=CoordinationConfig(store=url),
                plugins=PluginsConfig(settings={"empathy-redis": {"key_prefix": prefix}}),
            ),
        )
        runtime.add_plugin(redis_plugin, "redis", dist="empathy-redis")
        yield runtime
