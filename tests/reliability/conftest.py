"""Fixtures of the reliability suite: ``empathy`` subprocesses with the sample workflows
installed as a plugin, started (``spawn``) or run to the end (``cli``), on one cache directory."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from empathy_checkpoints.testing import install_sample_plugin

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test of this directory is marked ``reliability``."""
    for item in items:
        if HERE in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def environ(empathy_cache_dir: Path, tmp_path: Path) -> dict[str, str]:
    """The environment of every ``empathy`` subprocess of the test."""
    env = {k: v for k, v in os.environ.items() if k != "EMPATHY_CONFIG"}
    env.update(install_sample_plugin(tmp_path / "site"))
    env.update(
        EMPATHY_CACHE_DIR=str(empathy_cache_dir), XDG_CONFIG_HOME=str(tmp_path / "config-home"), COLUMNS="200"
    )
    return env


@pytest.fixture
def spawn(environ: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen[str]]]:
    """``spawn(*args, env=None)``: a started ``empathy ARGS`` (killed after the test)."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "empathy_core", *args],
            cwd=tmp_path,
            env={**environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)


@pytest.fixture
def cli(spawn: Callable[..., subprocess.Popen[str]]) -> Callable[..., tuple[int, str, str]]:
    """``cli(*args, env=None)`` -> ``(returncode, stdout, stderr)`` of ``empathy ARGS``."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> tuple[int, str, str]:
        proc = spawn(*args, env=env)
        out, err = proc.communicate(timeout=timeout)
        assert "Traceback" not in err, err
        return proc.returncode, out, err

    return run
