"""Fixtures: a runtime with the SQLite stores and this plugin (``coordination``), the same
over Redis when a server answers (``backend``, parametrized), and polling helpers."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import empathy_coordination.plugin as coordination_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import CoordinationConfig, EmpathyConfig, PluginsConfig

REDIS_URL = os.environ.get("EMPATHY_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def coordination(empathy: Any) -> Any:
    """The runtime: mock provider, SQLite coordination store in the test's cache directory."""
    empathy.config = EmpathyConfig(provider="mock")
    empathy.plugins += [sqlite_plugin, coordination_plugin]
    return empathy.get()


def _redis_problem() -> str | None:
    try:
        import redis

        import empathy_redis.plugin  # noqa: F401
    except ImportError as exc:
        return f"empathy-redis is not installed ({exc})"
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1) as client:
            client.ping()
    except redis.RedisError as exc:
        return f"no Redis server at {REDIS_URL} ({type(exc).__name__}: {exc}); set EMPATHY_REDIS_URL"
    return None


@pytest.fixture(params=["sqlite", "redis"])
def backend(request: pytest.FixtureRequest, empathy: Any) -> Iterator[Any]:
    """The runtime on each store that serves the coordination roles."""
    if request.param == "sqlite":
        yield request.getfixturevalue("coordination")
        return
    problem = _redis_problem()
    if problem:
        pytest.skip(problem)
    import empathy_redis.plugin as redis_plugin

    prefix = f"test-{uuid.uuid4().hex}"
    empathy.config = EmpathyConfig(
        provider="mock",
        coordination=CoordinationConfig(store=REDIS_URL),
        plugins=PluginsConfig(settings={"empathy-redis": {"key_prefix": prefix}}),
    )
    empathy.plugins.append(coordination_plugin)
    runtime = empathy.add(redis_plugin, name="redis", dist="empathy-redis")
    yield runtime
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def wait_for(find: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll ``find()`` until it returns something truthy; fail after ``timeout`` (a hang guard)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout:g} s")


@pytest.fixture
def poll() -> Callable[..., Any]:
    return wait_for
