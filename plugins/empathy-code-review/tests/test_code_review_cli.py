"""``empathy workflow run code-review`` as users run it: JSON results, usage errors exit 2."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from empathy_testing.pytest_plugin import CliResult


@pytest.fixture
def app(tmp_path: Path) -> Path:
    root = tmp_path / "app"
    root.mkdir()
    (root / "app.py").write_text("def login(user, pw):\n    return eval(pw)\n")
    return root


@pytest.fixture
def review(empathy_cli: Any, app: Path) -> Any:
    """``review(payload, *flags, env=None)``: ``empathy workflow run code-review`` in ``app``."""

    def run(payload: Any, *flags: str, env: dict[str, str] | None = None) -> CliResult:
        args = ["workflow", "run", "code-review", "--input", json.dumps(payload), *flags]
        return empathy_cli(*args, cwd=app, env=env)

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
        ({"offline": 1}, "Error: offline must be true or false, got 1"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(review: Any, payload: Any, message: str) -> None:
    done = review(payload)
    assert done.error_line(2).startswith(message), done.stderr
    assert done.stdout == ""


def test_json_result_with_every_stage_on_the_fake_api(review: Any, script: Any) -> None:
    fake = script(
        {
            "You triage Python files": {"files": [{"file": "app.py", "risk": "high", "reason": "eval"}]},
            "You are a senior Python reviewer": {"issues": [], "suggestions": []},
        }
    )
    done = json.loads(review({"focus_areas": ["security"]}, "--json", env=fake.env()).ok())
    assert done["status"] == "success"
    assert [(s["name"], s["status"]) for s in done["stages"]] == [
        ("scan", "success"),
        ("triage", "success"),
        ("review", "success"),
        ("architect_review", "skipped"),
    ]
    [issue] = done["output"]["issues"]
    assert (issue["file"], issue["line"], issue["source"], issue["rule"]) == ("app.py", 2, "bandit", "B307")
    assert done["output"]["cost"] == pytest.approx(done["cost"]) and done["cost"] > 0
    assert len(fake.received("/v1/messages")) == 2


def test_without_a_key_the_json_says_partial_and_exit_is_1(review: Any) -> None:
    done = review({}, "--json", env={"ANTHROPIC_API_KEY": ""})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    result = json.loads(done.stdout)
    assert result["status"] == "partial" and "no API key" in result["error"]
    assert [s["status"] for s in result["stages"]] == ["success", "skipped", "skipped", "skipped"]
    assert [i["rule"] for i in result["output"]["issues"]] == ["B307"]


def test_offline_exits_0(review: Any) -> None:
    assert "success" in review({"offline": True}, env={"ANTHROPIC_API_KEY": ""}).ok()


def read_all(fd: int) -> bytes:
    """Everything written to the pseudo-terminal whose controller is ``fd``, until it closes."""
    shown = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the other side is closed
            return shown
        if not chunk:
            return shown
        shown += chunk


def test_progress_shows_on_a_terminal_only(empathy_cli: Any, app: Path, empathy_cache_dir: Path) -> None:
    command = ("workflow", "run", "code-review", "--input", '{"offline": true}')
    quiet = empathy_cli(*command, cwd=app)
    assert quiet.ok() and quiet.stderr == ""
    main, child = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "EMPATHY_CONFIG"}
    env.update(EMPATHY_CACHE_DIR=str(empathy_cache_dir), XDG_CONFIG_HOME=str(app / ".config"), TERM="xterm")
    argv = [sys.executable, "-m", "empathy_core", *command]
    done = subprocess.run(argv, cwd=app, env=env, stdout=subprocess.PIPE, stderr=child, check=False)
    os.close(child)
    shown = read_all(main)
    os.close(main)
    assert done.returncode == 0
    assert b"code-review: scan (1/4)" in shown
