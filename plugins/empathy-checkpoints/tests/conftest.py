"""Fixtures: a runtime with the SQLite stores and this plugin (``durable``), and a fresh
PostgreSQL schema URL (``postgres_url``, skipped when no server answers)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import empathy_checkpoints.plugin as checkpoints_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_checkpoints.testing import POSTGRES_URL, ResumableWorkflow, drop_schema, postgres_problem
from empathy_core import EmpathyConfig, PluginsConfig


@pytest.fixture(autouse=True)
def _fresh_counts() -> None:
    ResumableWorkflow.ran = []


def add_plugins(empathy: Any, config: EmpathyConfig | None = None) -> Any:
    empathy.config = config or EmpathyConfig(provider="mock")
    empathy.plugins.append(sqlite_plugin)
    runtime = empathy.get()
    runtime.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
    return runtime


@pytest.fixture
def durable(empathy: Any) -> Any:
    """The runtime: mock provider, SQLite stores in the test's cache directory, this plugin."""
    return add_plugins(empathy)


@pytest.fixture
def durable_with(empathy: Any) -> Any:
    """``durable_with(provider="mock", others=None, **settings)``: the runtime with this
    plugin's settings (``others``: settings of other plugins, by distribution)."""

    def make(provider: str = "mock", others: dict[str, Any] | None = None, **settings: Any) -> Any:
        every = {"empathy-checkpoints": settings, **(others or {})}
        config = EmpathyConfig(provider=provider, plugins=PluginsConfig(settings=every))
        return add_plugins(empathy, config)

    return make


@pytest.fixture
def postgres_url() -> Iterator[str]:
    problem = postgres_problem()
    if problem:
        pytest.skip(problem)
    schema = f"empathy_test_{uuid.uuid4().hex[:12]}"
    yield f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
    drop_schema(POSTGRES_URL, schema)
