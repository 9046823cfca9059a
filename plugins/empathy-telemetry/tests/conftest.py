"""Fixtures shared by the telemetry command tests: the working directory and the command."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from empathy_testing.pytest_plugin import CliResult


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """The working directory of every command (where ``./empathy.config.yml`` is read)."""
    return tmp_path


@pytest.fixture
def empathy_cmd(empathy_cli: Callable[..., CliResult], home: Path) -> Callable[..., CliResult]:
    """``empathy_cmd(*args)``: the ``empathy`` command in ``home``, 160 columns wide."""

    def run(*args: str) -> CliResult:
        return empathy_cli(*args, cwd=home, env={"COLUMNS": "160"})

    return run
