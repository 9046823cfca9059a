"""Fixtures: a runtime with the SQLite stores and this plugin (``coordination``), the same
over Redis when a server answers (``backend``, parametrized), and polling helpers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import empathy_coordination.plugin as coordination_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import CoordinationConfig, EmpathyConfig, PluginsConfig


@pytest.fixture
def coordination(empathy: Any) -> Any:
    """The runtime: mock provider, SQLite coordination store in the test's cache directory."""
    empathy.config = EmpathyConfig(provider="mock")
    empathy.plugins += [sqlite_plugin, coordination_plugin]
    return empathy.get()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, empathy: Any) -> Iterator[Any]:
    """The runtime on each store that serves the coordination roles."""
    if request.param == "sqlite":
        yield request.getfixturevalue("coordination")
        return
    testing = pytest.importorskip("empathy_redis.testing", reason="empathy-redis is not installed")
    url = testing.require_redis()
    import empathy_redis.plugin as redis_plugin

    with testing.redis_prefix(url) as prefix:
        empathy.config = EmpathyConfig(
            provider="mock",
            coordination=CoordinationConfig(store=url),
            plugins=PluginsConfig(settings={"empathy-redis": {"key_prefix": prefix}}),
        )
        empathy.plugins.append(coordination_plugin)
        yield empathy.add(redis_plugin, name="redis", dist="empathy-redis")
