"""A git repository with known complexity, churn, lint and coverage; the fake Anthropic API."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from empathy_code_review.testing import billed, on_anthropic, script

__all__ = ["billed", "on_anthropic", "script"]  # fixtures, re-exported for this directory

RISKY = '''import os
import sys


def route(kind, value, flags):
    """Many branches, no tests."""
    if kind == "a":
        if value > 1:
            return 1
        elif value < -1:
            return 2
    elif kind == "b":
        for flag in flags:
            if flag and value:
                return 3
            while value > 10:
                value -= 1
    elif kind == "c" or kind == "d":
        return 4
    try:
        return int(value)
    except ValueError:
        return 5
'''
SAFE = '''def add(a, b):
    """Add."""
    return a + b
'''
TEST_SAFE = '''from safe import add


def test_add():
    assert add(1, 2) == 3
'''


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def write_tree(root: Path) -> None:
    root.mkdir()
    (root / "risky.py").write_text(RISKY)
    (root / "safe.py").write_text(SAFE)
    (root / "tests").mkdir()
    (root / "tests" / "test_safe.py").write_text(TEST_SAFE)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """risky.py: complexity 12, three commits, two unused imports, untested; safe.py: one commit, tested."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    write_tree(root)
    git(root, "init", "-q")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "one")
    for n in range(2):
        with (root / "risky.py").open("a") as handle:
            handle.write(f"\n\nX{n} = {n}\n")
        git(root, "commit", "-q", "-am", f"change {n}")
    return root


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    """The same tree, not in a git work tree."""
    root = tmp_path / "plain"
    write_tree(root)
    return root
