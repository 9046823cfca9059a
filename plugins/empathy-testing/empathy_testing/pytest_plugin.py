"""pytest fixtures for Empathy plugins (loaded through the ``pytest11`` entry point).

- ``fake_anthropic``: a started fake Anthropic API; ``ANTHROPIC_BASE_URL`` and
  ``ANTHROPIC_API_KEY`` point the official SDK at it for the test.
- ``empathy_cache_dir``: an isolated ``EMPATHY_CACHE_DIR`` for the test.
- ``empathy``: a runtime (:class:`empathy_core.Empathy`) with the core builtins and the
  ``mock`` provider, built on first use and installed process-wide for the test; set
  ``empathy.config`` or append to ``empathy.plugins`` before, ``empathy.add(plugin)``
  adds more plugins at any time.
- ``run_workflow``: ``run_workflow(cls_or_name, input=None, provider="mock")`` runs a
  workflow to completion and returns its ``WorkflowResult``.
- ``empathy_cli``: ``empathy_cli(*args, cwd=None, env=None, input=None)`` runs the
  ``empathy`` command in a subprocess (like pytest's ``runpytest_subprocess``) with an
  isolated cache and config home; returns a :class:`CliResult` (``ok()``, ``failed(code)``,
  ``error_line(code)``).
- ``usage_records``: the list of every ``UsageRecord`` that reached
  ``empathy_record_usage`` during the test (through ``empathy``; after direct calls,
  outside a workflow, ``empathy.flush()`` first).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
import pytest

from empathy_core import hookimpl


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


class EmpathyHolder:
    """Builds the runtime lazily, so a test can set ``config`` and add plugins first.

    Attribute access goes to the runtime (building it): ``empathy.workflows()``,
    ``empathy.settings(...)``, ``empathy.plugin_manager``...
    """

    def __init__(self) -> None:
        self.plugins: list[Any] = []
        self.config: Any = None
        self.runtime: Any = None

    def add(
        self, *plugins: Any, name: str | None = None, dist: str | None = None, version: str | None = None
    ) -> Any:
        """Register more plugin objects or modules; returns the runtime.

        ``name``/``dist``/``version`` register a single plugin the way the entry-point
        loader would (its settings are then found under ``plugins.settings.<dist>``).
        """
        runtime = self.get()
        if name is not None and len(plugins) != 1:
            raise TypeError("name= registers exactly one plugin")
        for plugin in plugins:
            plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
            if not runtime.plugin_manager.has_plugin(plugin_name):
                runtime.add_plugin(plugin, plugin_name, dist=dist, version=version)
        return runtime

    def get(self) -> Any:
        """The runtime: builtins, ``plugins``, then the ``mock`` provider; configured and
        installed process-wide."""
        if self.runtime is None:
            import empathy_testing
            import empathy_testing.plugin as testing_plugin
            from empathy_core import Empathy

            runtime = Empathy(self.config, plugins=self.plugins)
            runtime.add_plugin(
                testing_plugin, "testing", dist="empathy-testing", version=empathy_testing.__version__
            )
            Empathy.set_current(runtime)
            self.runtime = runtime.configure()
        return self.runtime

    def __getattr__(self, name: str) -> Any:
        return getattr(self.get(), name)


@pytest.fixture
def empathy(empathy_cache_dir: Path) -> Iterator[Any]:
    """A runtime with the core builtins and the mock provider, installed process-wide."""
    from empathy_core import Empathy

    holder = EmpathyHolder()
    yield holder
    if holder.runtime is not None:
        holder.runtime.close()
    Empathy.set_current(None)


class RecordingSink:
    """A telemetry sink keeping every usage record it receives, in order."""

    def __init__(self) -> None:
        self.records: list[Any] = []

    @hookimpl
    def empathy_record_usage(self, record: Any) -> None:
        self.records.append(record)


@pytest.fixture
def usage_records(empathy: Any) -> list[Any]:
    """Every ``UsageRecord`` recorded through ``empathy`` during the test (``run_workflow``
    flushes; after other calls, ``empathy.flush()`` makes pending records visible)."""
    sink = RecordingSink()
    empathy.plugins.append(sink)
    return sink.records


@pytest.fixture
def run_workflow(empathy: Any) -> Callable[..., Any]:
    """Run a workflow class (or registered name) on the given provider; return the result."""

    def run(workflow: Any, input: dict[str, Any] | None = None, provider: str = "mock", **kwargs: Any) -> Any:
        runtime = empathy.get()
        cls = runtime.workflow(workflow) if isinstance(workflow, str) else workflow
        instance = cls(empathy=runtime, provider_name=provider, **kwargs)
        result = asyncio.run(instance.execute(input or {}))
        runtime.flush()  # usage records are written off the loop: make them visible
        return result

    return run


@attrs.frozen
class CliResult:
    """What one ``empathy`` run printed and how it exited."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def ok(self) -> str:
        """``stdout``, asserting exit code 0 and no traceback."""
        assert self.returncode == 0, f"empathy {' '.join(self.args)} exited {self.returncode}:\n{self.stderr}"
        assert "Traceback" not in self.stderr, self.stderr
        return self.stdout

    def failed(self, code: int) -> str:
        """``stderr``, asserting exit code ``code`` and no traceback."""
        assert self.returncode == code, (
            f"empathy {' '.join(self.args)} exited {self.returncode}, not {code}:\n"
            f"{self.stdout}\n{self.stderr}"
        )
        assert "Traceback" not in self.stderr, self.stderr
        return self.stderr

    def error_line(self, code: int) -> str:
        """The one ``Error: ...`` line of ``stderr``, asserting exit code ``code``, no
        traceback and nothing else on ``stderr`` (how the CLI reports every failure)."""
        lines = self.failed(code).strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), self.stderr
        return lines[0]


@pytest.fixture
def empathy_cli(empathy_cache_dir: Path, tmp_path: Path) -> Callable[..., CliResult]:
    """Run ``python -m empathy_core ARGS`` with stdin closed, the test's cache directory,
    an empty config home and no ``EMPATHY_CONFIG`` (unless ``env`` sets them)."""

    def run(
        *args: str,
        cwd: str | os.PathLike[str] | None = None,
        env: Mapping[str, str] | None = None,
        input: str | None = None,
        timeout: float = 600,
    ) -> CliResult:
        environ = {k: v for k, v in os.environ.items() if k != "EMPATHY_CONFIG"}
        environ.update(
            EMPATHY_CACHE_DIR=str(empathy_cache_dir), XDG_CONFIG_HOME=str(tmp_path / "config-home")
        )
        environ.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "empathy_core", *args],
            capture_output=True,
            text=True,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
            cwd=cwd or tmp_path,
            env=environ,
            timeout=timeout,
            check=False,
        )
        return CliResult(tuple(args), done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture
def recompute() -> Callable[..., float]:
    """``recompute(model, raw_usage, batch=False)``: USD from raw API usage and pricing.json.

    Independent of ``empathy_core.pricing``: reads the shipped file and applies the
    documented formula.
    """
    import json
    import re
    from importlib import resources

    data = json.loads(resources.files("empathy_core").joinpath("data/pricing.json").read_text())
    mult = data["multipliers"]

    def cost(model: str, raw: dict[str, Any], batch: bool = False) -> float:
        price = data["models"][re.sub(r"-(\d{8}|latest)$", "", model)]
        split = raw.get("cache_creation") or {}
        write_5m = split.get("ephemeral_5m_input_tokens", 0)
        write_1h = split.get("ephemeral_1h_input_tokens", 0)
        assert write_5m + write_1h == raw.get("cache_creation_input_tokens", 0)
        total = (
            raw["input_tokens"] * price["input"]
            + raw["output_tokens"] * price["output"]
            + write_5m * price["input"] * mult["cache_write_5m"]
            + write_1h * price["input"] * mult["cache_write_1h"]
            + raw.get("cache_read_input_tokens", 0) * price["input"] * mult["cache_read"]
        ) / 1_000_000
        return total * mult["batch"] if batch else total

    return cost


def wait_for(find: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    """Poll ``find()`` every 50 ms until it returns something truthy, and return that;
    fail the test naming ``what`` after ``timeout`` seconds (a hang guard, not a timing
    assertion)."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"no {what} within {timeout:g} s")


@pytest.fixture
def poll() -> Callable[..., Any]:
    """:func:`wait_for`: ``poll(find, what, timeout=30.0)`` for something another thread or
    process is about to do."""
    return wait_for
