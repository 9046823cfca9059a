"""A fixture repository with known bandit, pinning and pattern findings; the fake Anthropic API."""

from __future__ import annotations

from pathlib import Path

import pytest

from empathy_code_review.testing import billed, on_anthropic, script

__all__ = ["billed", "on_anthropic", "script"]  # fixtures, re-exported for this directory

APP = '''import subprocess

import jwt

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"
DEBUG = True


def run(cmd):
    subprocess.call(cmd, shell=True)


def token(t):
    return jwt.decode(t, options={"verify_signature": False})


def quiet():
    return "AKIAIOSFODNN7EXAMPL2"  # nosec
'''
REQUIREMENTS = """# pinned and not
requests
flask>=2.0
django==4.2.1
git+https://github.com/example/lib.git
-r other.txt
"""
PYPROJECT = """[project]
name = "audited"
dependencies = ["attrs>=23", "click"]
"""
# (file, line, source, rule)
KNOWN = {
    ("app.py", 1, "bandit", "B404"),
    ("app.py", 5, "patterns", "SEC001"),
    ("app.py", 6, "patterns", "SEC010"),
    ("app.py", 10, "bandit", "B602"),
    ("app.py", 14, "patterns", "SEC012"),
    ("requirements.txt", 2, "pinning", "PIN001"),
    ("requirements.txt", 3, "pinning", "PIN002"),
    ("requirements.txt", 5, "pinning", "PIN003"),
    ("pyproject.toml", 3, "pinning", "PIN004"),
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "app.py").write_text(APP)
    (root / "requirements.txt").write_text(REQUIREMENTS)
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


@pytest.fixture
def known() -> set[tuple[str, int, str, str]]:
    return set(KNOWN)
