"""A small repository with one tested and two untested public functions; the fake Anthropic API."""

from __future__ import annotations

from pathlib import Path

import pytest

from empathy_code_review.testing import billed, on_anthropic, script

__all__ = ["billed", "on_anthropic", "script"]  # fixtures, re-exported for this directory

CALC = '''"""Arithmetic."""


def add(a, b):
    return a + b


def divide(a, b):
    if b == 0:
        raise ZeroDivisionError("b is zero")
    return a / b


def shout(text):
    return text.upper() + "!"


def _private():
    return None
'''
TEST_CALC = '''from calc import add


def test_add():
    assert add(1, 2) == 3
'''


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "tests").mkdir(parents=True)
    (root / "calc.py").write_text(CALC)
    (root / "tests" / "test_calc.py").write_text(TEST_CALC)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\npythonpath = ["."]\n')
    return root


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` and its bytes."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def snapshot() -> object:
    """``snapshot(root)``: every file of a tree with its content."""
    return tree
