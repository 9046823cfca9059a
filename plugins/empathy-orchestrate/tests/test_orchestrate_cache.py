"""The incremental cache: what reruns after no change, one edit, a touch, corruption, --no-cache."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from empathy_core import to_dict
from empathy_orchestrate.cache import orchestrate_dir
from empathy_orchestrate.layout import repository_key

AGENTS = ["security", "quality", "types", "docs", "architecture", "coverage"]
PER_FILE = ("ast", "bandit", "ruff")


def runs(report: Any) -> dict[str, tuple[int, int]]:
    """Tool -> (processes started, files given to them), for tools that started any."""
    return {name: (s.runs, s.files) for name, s in report.tools.items() if s.runs}


def results(report: Any) -> list[Any]:
    """The agents' outcomes without timings and cache flags."""
    return [(a.agent, a.status, a.score, to_dict(a.findings)) for a in report.agents]


def cache_file(repo: Path, name: str = "index.json") -> Path:
    return orchestrate_dir() / repository_key(repo) / name


def test_second_run_on_an_unchanged_tree_reruns_nothing(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    first = run_check(repo, agents=AGENTS)
    assert runs(first)["bandit"] == (1, 6) and runs(first)["mypy"] == (1, 5)
    assert runs(first)["coverage"][0] == 2  # coverage run + coverage json
    second = run_check(repo, agents=AGENTS)
    assert runs(second) == {}
    assert all(a.from_cache for a in second.agents)
    assert [r.finding for r in second.top_findings] == [r.finding for r in first.top_findings]
    assert results(second) == results(first)
    assert second.previous_score == first.score


def test_editing_one_file_reruns_only_that_files_per_file_work(
    make_repo: Any, repos: Any, run_check: Any
) -> None:
    repo = make_repo(repos["known"])
    first = run_check(repo, agents=AGENTS)
    shell = repo / "pkg" / "shell.py"
    shell.write_text(
        shell.read_text().replace("subprocess.call(command, shell=True)", "subprocess.call([command])")
    )
    second = run_check(repo, agents=AGENTS)
    counts = runs(second)
    for tool in PER_FILE:
        assert counts[tool] == (1, 1), tool
    assert counts["mypy"] == (1, 5)  # whole-project tools rerun on any change
    assert counts["coverage"][0] == 2
    assert second.tools["bandit"].cached_files == 5
    security_rules = {f.rule.split()[0] for f in second.agent("security").findings}
    assert "B602" not in security_rules and "B603" in security_rules
    assert "B602" in {f.rule.split()[0] for f in first.agent("security").findings}
    unchanged = {f.file for f in second.agent("docs").findings} | {
        f.file for f in first.agent("docs").findings
    }
    assert unchanged == {"pkg/shell.py"}


def test_touching_a_file_rehashes_it_but_reruns_nothing(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    run_check(repo, agents=["security", "types"])
    target = repo / "pkg" / "dup.py"
    os.utime(target, ns=(target.stat().st_atime_ns, target.stat().st_mtime_ns + 5_000_000_000))
    again = run_check(repo, agents=["security", "types"])
    assert runs(again) == {}
    assert all(a.from_cache for a in again.agents)


def test_corrupt_cache_files_are_ignored_and_rebuilt(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    first = run_check(repo, agents=["security", "docs"])
    for name in ("snapshot.json", "reports.json", "index.json"):
        cache_file(repo, name).write_bytes(b'{"version": 1, "snapshot": {"pkg/shell.py": [1, 2')
    second = run_check(repo, agents=["security", "docs"])
    assert runs(second) == {"bandit": (1, 6), "ast": (1, 6)}
    assert results(second) == results(first)
    rebuilt = json.loads(cache_file(repo).read_text())
    assert set(rebuilt["per_file"]) == {"bandit", "ast"}
    third = run_check(repo, agents=["security", "docs"])
    assert runs(third) == {} and all(a.from_cache for a in third.agents)


def test_a_corrupt_report_is_rebuilt_from_the_tool_results(
    make_repo: Any, repos: Any, run_check: Any
) -> None:
    repo = make_repo(repos["known"])
    first = run_check(repo, agents=["security", "docs"])
    data = json.loads(cache_file(repo, "reports.json").read_text())
    data["agents"]["security"]["report"]["findings"][0] = ["pkg/shell.py", "nine", "severe", 1]
    cache_file(repo, "reports.json").write_text(json.dumps(data))
    second = run_check(repo, agents=["security", "docs"])
    assert runs(second) == {}  # per-file results were still valid
    assert results(second) == results(first)
    assert (
        json.loads(cache_file(repo, "reports.json").read_text())["agents"]["security"]
        != (data["agents"]["security"])
    )


def test_a_malformed_tool_result_is_not_trusted(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    first = run_check(repo, agents=["security"])
    data = json.loads(cache_file(repo).read_text())
    data["per_file"]["bandit"]["files"]["pkg/shell.py"][1] = [["not a line", "catastrophic", 3, None]]
    cache_file(repo).write_text(json.dumps(data))
    cache_file(repo, "reports.json").unlink()
    second = run_check(repo, agents=["security"])
    assert runs(second) == {"bandit": (1, 1)}
    assert results(second) == results(first)


def test_a_forged_result_for_other_content_is_not_used(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    run_check(repo, agents=["security"])
    data = json.loads(cache_file(repo).read_text())
    data["per_file"]["bandit"]["files"]["pkg/shell.py"][0] = "0" * 32  # hash of other content
    cache_file(repo).write_text(json.dumps(data))
    cache_file(repo, "reports.json").unlink()
    again = run_check(repo, agents=["security"])
    assert runs(again) == {"bandit": (1, 1)}
    assert any(f.rule.startswith("B602") for f in again.agent("security").findings)


def test_changing_the_tools_configuration_reruns_every_file(
    make_repo: Any, repos: Any, run_check: Any
) -> None:
    repo = make_repo(repos["known"])
    run_check(repo, agents=["quality", "security"])
    (repo / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["F", "E", "B"]\n')
    again = run_check(repo, agents=["quality", "security"])
    assert runs(again) == {"ruff": (1, 6), "bandit": (1, 6)}  # both read pyproject.toml


def test_no_cache_reruns_everything_and_stores_nothing(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    run_check(repo, agents=["security"], use_cache=False)
    names = ("snapshot.json", "reports.json", "index.json")
    assert not any(cache_file(repo, name).exists() for name in names)
    run_check(repo, agents=["security"])
    stored = [cache_file(repo, name).read_bytes() for name in names]
    again = run_check(repo, agents=["security"], use_cache=False)
    assert runs(again) == {"bandit": (1, 6)}
    assert [cache_file(repo, name).read_bytes() for name in names] == stored


def test_cache_lives_outside_the_repository(
    make_repo: Any, repos: Any, run_check: Any, isolated: Path
) -> None:
    repo = make_repo(repos["known"])
    run_check(repo, agents=["types", "coverage"])
    assert cache_file(repo).is_relative_to(isolated)
    assert (isolated / "orchestrate" / repository_key(repo) / "mypy").is_dir()
    hidden = [p.name for p in repo.rglob("*") if p.name.startswith(".") or p.name == "__pycache__"]
    assert hidden == []


def test_the_trend_compares_runs_of_the_same_selection(make_repo: Any, repos: Any, run_check: Any) -> None:
    repo = make_repo(repos["known"])
    security = run_check(repo, agents=["security"])
    assert security.previous_score is None
    both = run_check(repo, agents=["security", "docs"])
    assert both.previous_score is None  # another selection: no trend against security alone
    again = run_check(repo, agents=["security"])
    assert again.previous_score == security.score
    assert again.previous_scores == {"security": security.agent("security").score}
    assert again.trend == 0.0
