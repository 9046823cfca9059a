"""Fixture repositories with known findings, an isolated cache and runtimes with this plugin."""

from __future__ import annotations

import asyncio
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import empathy_orchestrate.plugin as orchestrate_plugin
from empathy_core import Empathy
from empathy_orchestrate.context import NESTED_ENV
from empathy_orchestrate.healthcheck import health_check
from empathy_orchestrate.settings import OrchestrateSettings

# A repository with one known finding per agent; `line_of` finds their lines.
KNOWN_REPO = {
    "pkg/__init__.py": '"""Package with known problems."""\n',
    "pkg/shell.py": '''
        """Runs commands."""

        import subprocess

        from pkg import cycle_b


        def run(command):
            """Run a shell command."""
            subprocess.call(command, shell=True)
            return cycle_b.helper()


        def evaluate(text: str) -> str:
            """Evaluate an expression."""
            return eval(text)


        def never_called(size: int) -> int:
            total = 0
            for i in range(size):
                for j in range(size):
                    for k in range(size):
                        total += i * j * k
            return total
        ''',
    "pkg/cycle_b.py": '''
        """Half of an import cycle."""

        from pkg import shell


        def helper() -> str:
            """Name the shell module."""
            return shell.__name__
        ''',
    "pkg/typed.py": '''
        """Typed helpers."""

        import os


        def count(items: list[str]) -> int:
            """Count items (wrongly)."""
            return ",".join(items)
        ''',
    "pkg/dup.py": '''
        """Two functions with the same body."""


        def first(values: list[int]) -> int:
            """Sum of squares of the even values."""
            total = 0
            for value in values:
                if value % 2 == 0:
                    total += value * value
            return total


        def second(numbers: list[int]) -> int:
            """The same, under other names."""
            acc = 0
            for number in numbers:
                if number % 2 == 0:
                    acc += number * number
            return acc
        ''',
    "tests/test_pkg.py": """
        from pkg import dup, shell, typed


        def test_run():
            assert shell.run("true") == "pkg.shell"


        def test_evaluate():
            assert shell.evaluate("1 + 1") == 2


        def test_dup():
            assert dup.first([2, 3]) == dup.second([2, 3]) == 4


        def test_count():
            assert typed.count(["a", "b"]) == "a,b"
        """,
}

# A clean repository: full coverage, typed, no lint or security finding.
CLEAN_REPO = {
    "pkg/__init__.py": '"""Calculator."""\n',
    "pkg/calc.py": '''
        """Arithmetic."""


        def add(a: int, b: int) -> int:
            """Add two numbers."""
            return a + b
        ''',
    "tests/test_calc.py": """
        from pkg.calc import add


        def test_add():
            assert add(1, 2) == 3
        """,
}


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (dedented) under ``root``; returns ``root``."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def line_of(root: Path, rel: str, needle: str) -> int:
    """1-based line of the first line of ``rel`` containing ``needle``."""
    for number, line in enumerate((root / rel).read_text(encoding="utf-8").splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {rel}")


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` (hidden ones too) with its size and mtime."""
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(root.rglob("*"))
    }


@pytest.fixture(autouse=True)
def isolated(empathy_cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache directory; tests run the fixture repositories' own tests.

    It is the test kit's ``empathy_cache_dir``, so this process and the ``empathy``
    commands ``empathy_cli`` runs share it. The nested-run guard protects against a
    health-check of *this* repository running health-checks of itself; the fixture
    repositories' tests run no health-check, so clearing it here cannot recurse.
    """
    monkeypatch.delenv(NESTED_ENV, raising=False)
    return empathy_cache_dir


@pytest.fixture
def empathy(empathy: Any) -> Any:
    """The test kit's runtime (core builtins, the mock provider) with this plugin added."""
    empathy.plugins.append(orchestrate_plugin)
    return empathy


@pytest.fixture
def make_empathy() -> Iterator[Callable[..., Empathy]]:
    """``make_empathy(*plugins, strict=False)``: ``Empathy(plugins=[...])`` with the core
    builtins and exactly ``plugins``, in that order; closed after the test."""
    built: list[Empathy] = []

    def make(*plugins: Any, strict: bool = False) -> Empathy:
        runtime = Empathy(plugins=plugins, strict=strict)
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        runtime.close()


@pytest.fixture
def run_check(empathy: Any) -> Callable[..., Any]:
    """``run_check(path, **kwargs)``: run a health-check synchronously with this plugin."""

    def run(path: Path | str, **kwargs: Any) -> Any:
        kwargs.setdefault("empathy", empathy.get())
        kwargs.setdefault("settings", OrchestrateSettings(timeout=300))
        return asyncio.run(health_check(str(path), **kwargs))

    return run


@pytest.fixture(scope="module")
def known_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any, dict[str, Any]]:
    """One release-mode health-check of the known repository, shared by a module's tests.

    Returns the repository, the report, and the tree state before the run.
    """
    root = write_tree(tmp_path_factory.mktemp("known"), KNOWN_REPO)
    before = tree_state(root)
    env = {"EMPATHY_CACHE_DIR": str(tmp_path_factory.mktemp("known-cache"))}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        mp.delenv(NESTED_ENV, raising=False)
        runtime = Empathy(plugins=[orchestrate_plugin])
        try:
            report = asyncio.run(
                health_check(
                    str(root),
                    mode="release",
                    empathy=runtime,
                    settings=OrchestrateSettings(timeout=300),
                )
            )
        finally:
            runtime.close()
    return root, report, before


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """``make_repo(files, name="repo")``: write a repository under ``tmp_path``."""

    def make(files: dict[str, str], name: str = "repo") -> Path:
        return write_tree(tmp_path / name, files)

    return make


@pytest.fixture
def repos() -> dict[str, dict[str, str]]:
    """The fixture repositories' files: ``known`` (one finding per agent) and ``clean``."""
    return {"known": dict(KNOWN_REPO), "clean": dict(CLEAN_REPO)}


@pytest.fixture
def helpers() -> Any:
    """``helpers.line_of(root, rel, needle)`` and ``helpers.tree_state(root)``."""

    class Helpers:
        line_of = staticmethod(line_of)
        tree_state = staticmethod(tree_state)
        write_tree = staticmethod(write_tree)

    return Helpers
