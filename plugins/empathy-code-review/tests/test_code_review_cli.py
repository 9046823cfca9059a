"""``empathy workflow run code-review`` as users run it: a bad input is a usage error (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from empathy_testing.pytest_plugin import CliResult


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("def login(user, pw):\n    return eval(pw)\n")
    return tmp_path


@pytest.fixture
def review(empathy_cli: Any, project: Path) -> Any:
    """``review(payload)``: ``empathy workflow run code-review`` on the mock provider, in ``project``."""

    def run(payload: Any) -> CliResult:
        args = ["workflow", "run", "code-review", "--provider", "mock", "--input", json.dumps(payload)]
        return empathy_cli(*args, cwd=project)

    return run


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"files": "app.py"}, "Error: files must be a list of paths"),
        ({"files": [3]}, "Error: files must be a list of paths"),
        ({"focus_areas": "security"}, "Error: focus_areas must be a list of focus areas, got a string"),
        ({"path": 5}, "Error: path must be a directory path, got 5"),
        ({"path": "no/such/dir"}, "Error: review path 'no/such/dir' is not a directory"),
        ({"files": ["missing.py"]}, "Error: file 'missing.py' does not exist"),
        ({"files": ["../outside.py"]}, "Error: file '../outside.py' is outside the review path"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(review: Any, payload: Any, message: str) -> None:
    done = review(payload)
    assert done.error_line(2).startswith(message), done.stderr
    assert done.stdout == ""


def test_a_good_input_runs_every_stage(review: Any) -> None:
    assert "success" in review({"files": ["app.py"], "focus_areas": ["security"]}).ok()
