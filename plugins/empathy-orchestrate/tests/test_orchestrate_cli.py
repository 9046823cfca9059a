"""The commands as users run them: ``empathy orchestrate ...`` and ``empathy cache clear``.

Each runs in a subprocess through the test kit's ``empathy_cli`` (stdin closed, so no prompt
may wait for it; the cache directory is the one ``isolated`` gives this process).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from empathy_orchestrate.cache import orchestrate_dir
from empathy_orchestrate.layout import repository_key

UNCOVERED = '''
"""Arithmetic."""


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def sub(a: int, b: int) -> int:
    """Subtract (no test runs this)."""
    return a - b
'''


@pytest.fixture
def clean_repo(make_repo: Any, repos: Any) -> Path:
    return make_repo({**repos["clean"], "pkg/calc.py": UNCOVERED})


def test_health_check_prints_a_report_and_exits_0(make_repo: Any, repos: Any, empathy_cli: Any) -> None:
    repo = make_repo(repos["known"])
    out = empathy_cli("orchestrate", "health-check", str(repo), "--mode", "daily").ok()
    for text in ("Health check", "Overall score", "Security", "Coverage", "Quality", "Types", "Top findings"):
        assert text in out
    assert "B602" in out and "first run in this mode" in out
    again = empathy_cli("orchestrate", "health-check", str(repo), "--mode", "daily").ok()
    assert "since previous daily run" in again and "(cached)" in again


def test_health_check_json(make_repo: Any, repos: Any, empathy_cli: Any) -> None:
    repo = make_repo(repos["known"])
    done = empathy_cli(
        "orchestrate", "health-check", str(repo), "--agent", "security", "--agent", "docs", "--json"
    )
    data = json.loads(done.ok())
    assert [a["agent"] for a in data["agents"]] == ["security", "docs"]
    assert data["repository"] == str(repo.resolve())
    assert data["score"] == pytest.approx(sum(a["score"] for a in data["agents"]) / 2, abs=0.1)
    assert data["top_findings"][0]["finding"]["severity"] == "high"
    assert data["trend"] is None


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (None, "Error: path not found: "),
        ({"README.md": "text\n"}, "Error: no Python files found under "),
    ],
)
def test_bad_input_is_one_error_line_and_exit_2(
    make_repo: Any, tmp_path: Path, files: Any, message: str, empathy_cli: Any
) -> None:
    path = make_repo(files) if files else tmp_path / "missing"
    done = empathy_cli("orchestrate", "health-check", str(path))
    assert done.returncode == 2
    assert done.stderr.startswith(message)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_release_prep_passes_when_coverage_meets_the_gate(clean_repo: Path, empathy_cli: Any) -> None:
    done = empathy_cli("orchestrate", "release-prep", str(clean_repo), "--min-coverage", "70", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(done.ok())
    assert data["passed"] is True
    gates = {g["name"]: g for g in data["gates"]}
    assert set(gates) == {"coverage", "security", "types", "lint"}
    assert all(g["passed"] for g in gates.values())
    assert gates["coverage"]["actual"] == "75.0%"  # 3 of 4 statements


def test_release_prep_fails_on_the_coverage_gate(clean_repo: Path, empathy_cli: Any) -> None:
    done = empathy_cli("orchestrate", "release-prep", str(clean_repo), "--min-coverage", "95")
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "Not ready: 1 of 4 gates failed." in done.stdout
    rows = {line.strip("│ ").split()[0]: line for line in done.stdout.splitlines() if line.strip("│ ")}
    assert "FAIL" in rows["coverage"] and ">= 95%" in rows["coverage"] and "75.0%" in rows["coverage"]
    assert all("PASS" in rows[gate] for gate in ("security", "types", "lint"))


def test_release_prep_fails_an_unmeasured_gate(make_repo: Any, repos: Any, empathy_cli: Any) -> None:
    files = {rel: text for rel, text in repos["clean"].items() if not rel.startswith("tests/")}
    done = empathy_cli("orchestrate", "release-prep", str(make_repo(files)), "--json")
    assert done.returncode == 1
    coverage = next(g for g in json.loads(done.stdout)["gates"] if g["name"] == "coverage")
    assert (coverage["passed"], coverage["detail"]) == (False, "not measured: no tests found")


def test_cache_clear(make_repo: Any, repos: Any, empathy_cli: Any) -> None:
    first, second = make_repo(repos["clean"], "one"), make_repo(repos["clean"], "two")
    for repo in (first, second):
        empathy_cli("orchestrate", "health-check", str(repo), "--agent", "security").ok()
    done = empathy_cli("cache", "clear", str(first))
    assert done.returncode == 0 and "Cleared cached analysis results for" in done.stdout
    assert not (orchestrate_dir() / repository_key(first)).exists()
    assert (orchestrate_dir() / repository_key(second) / "index.json").exists()
    assert empathy_cli("cache", "clear").returncode == 0
    assert not (orchestrate_dir() / repository_key(second)).exists()


def test_agents_and_patterns_lists(empathy_cli: Any) -> None:
    agents = json.loads(empathy_cli("orchestrate", "agents", "--json").ok())
    assert [a["name"] for a in agents][:3] == ["security", "coverage", "quality"]
    assert {a["plugin"] for a in agents} == {"orchestrate"}
    assert agents[0]["tools"].startswith("bandit ")
    patterns = empathy_cli("orchestrate", "patterns").ok()
    for name in ("sequential", "parallel", "debate", "teaching", "refinement", "adaptive"):
        assert name in patterns
