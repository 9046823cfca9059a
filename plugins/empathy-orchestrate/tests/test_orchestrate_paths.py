"""The analysed tree stays inside its root, odd files are skipped said plainly, tools never see keys."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from empathy_core import SkippedFileWarning
from empathy_orchestrate import fingerprint
from empathy_orchestrate.layout import MAX_FILE_BYTES, Repository, scan
from empathy_orchestrate.tools import ProjectTool, ToolRunner

CANARY = "sk-ant-canary-0123456789abcdef"


def scanned(root: Path) -> tuple[Repository, list[str]]:
    """``scan(root)`` and the messages of the skipped-file warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        repo = scan(root)
    return repo, [str(w.message) for w in caught if issubclass(w.category, SkippedFileWarning)]


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``repo/`` with ``pkg/app.py``; ``outside/`` next to it holds ``passwd`` and ``leak.py``."""
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "passwd").write_text("root:x:0:0:secret\n")
    (tmp_path / "outside" / "leak.py").write_text("SECRET = 1\n")
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "app.py").write_text("x = 1\n")
    return root


def test_a_symlink_pointing_out_of_the_repository_is_skipped(tree: Path) -> None:
    os.symlink(tree.parent / "outside" / "passwd", tree / "pkg" / "p.py")
    os.symlink(tree.parent / "outside" / "passwd", tree / "pyproject.toml")
    repo, warned = scanned(tree)
    assert [f.rel for f in repo.files] == ["pkg/__init__.py", "pkg/app.py"] and repo.configs == []
    assert sorted(repo.skipped) == ["pkg/p.py", "pyproject.toml"]
    assert repo.skipped["pkg/p.py"] == (
        f"file 'pkg/p.py' is outside the repository {str(tree)!r}: "
        f"it resolves through a symbolic link to {tree.parent / 'outside' / 'passwd'}"
    )
    assert sorted(warned) == sorted(f"health-check: skipped {r}" for r in repo.skipped.values())


def test_symlinks_within_the_repository_are_analysed(tree: Path) -> None:
    os.symlink("app.py", tree / "pkg" / "alias.py")
    repo, warned = scanned(tree)
    assert [f.rel for f in repo.files] == ["pkg/__init__.py", "pkg/alias.py", "pkg/app.py"]
    assert warned == [] and repo.skipped == {}


def test_a_symlinked_directory_pointing_out_is_not_entered(tree: Path) -> None:
    os.symlink(tree.parent / "outside", tree / "vendor")
    repo, warned = scanned(tree)
    assert [f.rel for f in repo.files] == ["pkg/__init__.py", "pkg/app.py"] and warned == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_named_like_a_source_file_is_skipped(tree: Path) -> None:
    os.mkfifo(tree / "pkg" / "pipe.py")
    repo, warned = scanned(tree)
    assert [f.rel for f in repo.files] == ["pkg/__init__.py", "pkg/app.py"]
    assert repo.skipped == {"pkg/pipe.py": "file 'pkg/pipe.py' is a FIFO (named pipe), not a regular file"}
    assert len(warned) == 1


def test_an_over_large_file_is_skipped(tree: Path) -> None:
    (tree / "pkg" / "generated.py").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    repo, warned = scanned(tree)
    assert [f.rel for f in repo.files] == ["pkg/__init__.py", "pkg/app.py"]
    assert repo.skipped == {
        "pkg/generated.py": "file 'pkg/generated.py' is 2,097,153 bytes (2.0 MiB), "
        "larger than the 2 MiB limit for one file"
    }
    assert len(warned) == 1


def test_a_file_grown_past_the_limit_after_the_scan_is_not_hashed(tree: Path) -> None:
    repo = scan(tree)
    (tree / "pkg" / "app.py").write_bytes(b"#" * (MAX_FILE_BYTES + 1))
    with pytest.warns(
        SkippedFileWarning, match=r"app\.py: 2,097,153 bytes \(2\.0 MiB\), larger than the 2 MiB limit"
    ):
        snapshot, read = fingerprint.hash_files(repo.files, {}, 0)
    assert list(snapshot) == ["pkg/__init__.py"] and read == ["pkg/__init__.py"]


# -- subprocess environment ----------------------------------------------------------


class EnvTool(ProjectTool):
    """Prints the environment it was started with."""

    name = "env"
    module = "json"
    dist = "empathy-orchestrate"

    async def execute(self, ctx: Any) -> Any:
        return []


def test_tools_run_without_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    monkeypatch.setenv("INNOCENT_LOOKING", CANARY)  # a secret value under another name
    monkeypatch.setenv("GITHUB_TOKEN", "ghp-canary-token-value")
    monkeypatch.setenv("EMPATHY_KEEP_ME", "kept")
    runner = ToolRunner(cwd=str(tmp_path), env={"FROM_RUNNER": "1"}, max_concurrency=1)
    code = "import json, os; print(json.dumps(dict(os.environ)))"
    done = asyncio.run(runner.run(EnvTool(), [sys.executable, "-c", code], env={"FROM_RUN": "2"}))
    assert done.returncode == 0, done.stderr
    env = json.loads(done.stdout)
    assert "ANTHROPIC_API_KEY" not in env and "GITHUB_TOKEN" not in env and "INNOCENT_LOOKING" not in env
    assert CANARY not in done.stdout
    assert (env["EMPATHY_KEEP_ME"], env["FROM_RUNNER"], env["FROM_RUN"]) == ("kept", "1", "2")
    assert env["PATH"] == os.environ["PATH"]


def test_health_check_runs_the_repositorys_tests_without_the_key(
    make_repo: Callable[..., Path],
    run_check: Callable[..., Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dump = tmp_path / "seen-environ.json"
    root = make_repo(
        {
            "calc.py": '"""Arithmetic."""\n\n\ndef add(a: int, b: int) -> int:\n    return a + b\n',
            "tests/test_calc.py": f"""
                import json
                import os

                from calc import add


                def test_add_and_no_key():
                    with open({str(dump)!r}, "w") as handle:
                        json.dump(dict(os.environ), handle)
                    assert add(1, 2) == 3
                    assert "ANTHROPIC_API_KEY" not in os.environ
                """,
        }
    )
    monkeypatch.setenv("ANTHROPIC_API_KEY", CANARY)
    report = run_check(root, agents=["coverage"], use_cache=False, record_history=False, offline=True)
    [agent] = report.agents
    assert agent.status == "ok", agent
    seen = dump.read_text()
    assert "ANTHROPIC_API_KEY" not in json.loads(seen) and CANARY not in seen
    assert report.tools["coverage"].runs >= 1
