"""pytest fixtures for Empathy plugins (loaded through the ``pytest11`` entry point).

- ``fake_anthropic``: a started fake Anthropic API; ``ANTHROPIC_BASE_URL`` and
  ``ANTHROPIC_API_KEY`` point the official SDK at it for the test.
- ``empathy_cache_dir``: an isolated ``EMPATHY_CACHE_DIR`` for the test.
- ``empathy_pm``: a plugin manager with the core builtins and the ``mock`` provider,
  installed as the process-wide manager for the test; ``empathy_pm.add(plugin)`` adds
  more plugins.
- ``run_workflow``: ``run_workflow(cls_or_name, input=None, provider="mock")`` runs a
  workflow to completion and returns its ``WorkflowResult``.
- ``usage_records``: the list of every ``UsageRecord`` that reached
  ``empathy_record_usage`` during the test (through ``empathy_pm``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from empathy_core.hookspecs import hookimpl


@pytest.fixture
def fake_anthropic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A started :class:`~empathy_testing.fake_anthropic.FakeAnthropicServer`."""
    from empathy_testing.fake_anthropic import fake_anthropic_server

    with fake_anthropic_server() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


@pytest.fixture
def empathy_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ``EMPATHY_CACHE_DIR`` so tests never touch the user's cache."""
    path = tmp_path / "empathy-cache"
    path.mkdir()
    monkeypatch.setenv("EMPATHY_CACHE_DIR", str(path))
    return path


class _TestPluginManager:
    """Builds the manager lazily so tests can add plugins and config first."""

    def __init__(self) -> None:
        self.plugins: list[Any] = []
        self.config: Any = None
        self._pm: Any = None

    def add(
        self, *plugins: Any, name: str | None = None, dist: str | None = None, version: str | None = None
    ) -> Any:
        """Register more plugin objects or modules; returns the manager.

        ``name``/``dist``/``version`` register a single plugin the way the entry-point
        loader would (its settings are then found under ``plugins.settings.<dist>``).
        """
        pm = self.get()
        from empathy_core.plugins import PluginInfo

        if name is not None and len(plugins) != 1:
            raise TypeError("name= registers exactly one plugin")
        for plugin in plugins:
            plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
            if pm.has_plugin(plugin_name):
                continue
            info = PluginInfo(
                name=plugin_name, status="loaded", dist=dist, version=version, first_party=False
            )
            pm.add_plugin(plugin, plugin_name, info)
        return pm

    def get(self) -> Any:
        if self._pm is None:
            import empathy_testing
            import empathy_testing.plugin as testing_plugin
            from empathy_core import plugins

            pm = plugins.make_plugin_manager(self.plugins, config=self.config)
            info = plugins.PluginInfo(
                name="testing", status="loaded", dist="empathy-testing", version=empathy_testing.__version__
            )
            pm.add_plugin(testing_plugin, "testing", info)
            self._pm = pm
            plugins.set_plugin_manager(pm)
        return self._pm

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


@pytest.fixture
def empathy_pm(empathy_cache_dir: Path) -> Iterator[Any]:
    """A plugin manager with builtins and the mock provider, installed process-wide."""
    from empathy_core import plugins

    holder = _TestPluginManager()
    yield holder
    if holder._pm is not None:
        holder._pm.close()
    plugins.set_plugin_manager(None)


class RecordingSink:
    """A telemetry sink keeping every usage record it receives, in order."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    @hookimpl
    def empathy_record_usage(self, record: Any) -> None:
        self.records.append(record)


@pytest.fixture
def usage_records(empathy_pm: Any) -> list[Any]:
    """Every ``UsageRecord`` recorded through ``empathy_pm`` during the test."""
    sink = RecordingSink()
    empathy_pm.plugins.append(sink)
    return sink.records


@pytest.fixture
def run_workflow(empathy_pm: Any) -> Callable[..., Any]:
    """Run a workflow class (or registered name) on the given provider; return the result."""

    def run(workflow: Any, input: dict[str, Any] | None = None, provider: str = "mock", **kwargs: Any) -> Any:
        pm = empathy_pm.get()
        cls = pm.workflows()[workflow] if isinstance(workflow, str) else workflow
        instance = cls(plugin_manager=pm, provider_name=provider, **kwargs)
        return asyncio.run(instance.execute(input or {}))

    return run
