"""``empathy workflow run code-review`` as users run it: a bad input is a usage error (exit 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text("def login(user, pw):\n    return eval(pw)\n")
    return tmp_path


def review(project: Path, payload: Any) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPATHY_")}
    env.update(EMPATHY_CACHE_DIR=str(project / ".cache"), XDG_CONFIG_HOME=str(project / ".config"))
    args = ["workflow", "run", "code-review", "--provider", "mock", "--input", json.dumps(payload)]
    return subprocess.run(
        [sys.executable, "-m", "empathy_core", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=project,
        env=env,
        timeout=120,
        check=False,
    )


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
def test_bad_input_is_one_line_and_exit_2(project: Path, payload: Any, message: str) -> None:
    done = review(project, payload)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), done.stderr


def test_a_good_input_runs_every_stage(project: Path) -> None:
    done = review(project, {"files": ["app.py"], "focus_areas": ["security"]})
    assert done.returncode == 0, done.stderr
    assert "success" in done.stdout
