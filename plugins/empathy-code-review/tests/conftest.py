"""A fixture repository with known ruff and bandit findings; the fake Anthropic API fixtures."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from empathy_code_review.testing import billed, on_anthropic, script

__all__ = ["billed", "on_anthropic", "script"]  # fixtures, re-exported for this directory

# Known findings: (file, line, source, rule).
AUTH = """import os
import subprocess


def login(user, pw):
    return eval(pw)


def run(command):
    subprocess.call(command, shell=True)
    return missing_name
"""
UTIL = '''def add(a, b):
    """Add."""
    return a + b
'''
TOOLS = ("ruff", "bandit")
KNOWN = {
    ("pkg/auth.py", 1, "ruff", "F401"),
    ("pkg/auth.py", 2, "bandit", "B404"),
    ("pkg/auth.py", 6, "bandit", "B307"),
    ("pkg/auth.py", 10, "bandit", "B602"),
    ("pkg/auth.py", 11, "ruff", "F821"),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "auth.py").write_text(AUTH)
    (root / "pkg" / "util.py").write_text(UTIL)
    (root / ".venv").mkdir()
    (root / ".venv" / "ignored.py").write_text("import os\n")
    return root


def tool_issues(output: Mapping[str, Any]) -> set[tuple[str, int, str, str]]:
    """``(file, line, source, rule)`` of the analysers' issues in a result's output."""
    return {(i["file"], i["line"], i["source"], i["rule"]) for i in output["issues"] if i["source"] in TOOLS}


@pytest.fixture
def found() -> Callable[[Mapping[str, Any]], set[tuple[str, int, str, str]]]:
    """``found(output)``: ``(file, line, source, rule)`` of the analysers' issues."""
    return tool_issues


@pytest.fixture
def known() -> set[tuple[str, int, str, str]]:
    """The findings ruff and bandit make on ``project``."""
    return set(KNOWN)
