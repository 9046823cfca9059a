"""Health-check: cold, warm (unchanged tree) and one-file-changed runs, in one process.

The repository is a copy of installed libraries (rich, pygments, markdown-it-py: over
500 Python files) in a temporary directory, analysed in ``release`` mode (every agent;
the copy has no tests, so the adaptive selection leaves Coverage out). The cache starts
empty. Figures are wall-clock times of ``health_check()`` and ratios to the cold run
measured in the same process: warm is the median of ``BENCH_ROUNDS`` runs, one file
changed the median of three runs, each after editing a different file.

Targets: warm >= 500x faster than cold; one file changed <= 5% of cold.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any

PACKAGES = ("rich", "pygments", "markdown_it")
CHANGED = ("pygments/lexers/teal.py", "rich/emoji.py", "markdown_it/rules_inline/strikethrough.py")
WARM_ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
WARM_TARGET = 500.0
CHANGED_TARGET = 0.05


def copy_repository(target: Path) -> int:
    """Copy the libraries' sources into ``target``; returns the number of ``.py`` files."""
    site = Path(sysconfig.get_paths()["purelib"])
    for name in PACKAGES:
        shutil.copytree(site / name, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return sum(1 for _ in target.rglob("*.py"))


def timed(path: Path) -> tuple[float, Any]:
    import empathy_orchestrate.plugin as orchestrate_plugin
    from empathy_core import Empathy
    from empathy_orchestrate.healthcheck import health_check
    from empathy_orchestrate.settings import OrchestrateSettings

    empathy = Empathy(plugins=[orchestrate_plugin])
    settings = OrchestrateSettings(timeout=3600)
    start = time.perf_counter()
    report = asyncio.run(health_check(str(path), mode="release", empathy=empathy, settings=settings))
    return time.perf_counter() - start, report


def describe(label: str, seconds: float, report: Any) -> None:
    tools = ", ".join(
        f"{name} {s.runs}x/{s.files} files" if s.runs else f"{name} cached"
        for name, s in report.tools.items()
    )
    print(f"{label:<26} {seconds * 1000:>10.1f} ms   score {report.score}   tools: {tools}")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="empathy-bench-hc-"))
    os.environ["EMPATHY_CACHE_DIR"] = str(work / "cache")
    repo = work / "repo"
    try:
        files = copy_repository(repo)
        print(f"repository: {files} Python files from {', '.join(PACKAGES)} ({sys.version.split()[0]})")
        time.sleep(2.1)  # let the copy's mtimes leave the racy-clean window of the first snapshot

        cold, report = timed(repo)
        describe("cold", cold, report)
        agents = ", ".join(f"{a.agent} {a.status} {a.duration_ms / 1000:.1f} s" for a in report.agents)
        print(f"agents: {agents} | skipped: {report.skipped}")

        warm_samples = []
        for _ in range(WARM_ROUNDS):
            seconds, report = timed(repo)
            warm_samples.append(seconds)
        warm = statistics.median(warm_samples)
        describe(f"warm (median/{WARM_ROUNDS})", warm, report)

        one_samples = []
        for rel in CHANGED:  # a different file each time: a leaf module of each library
            changed = repo / rel
            changed.write_text(changed.read_text() + "\n\ndef _bench_marker() -> int:\n    return 1\n")
            seconds, report = timed(repo)
            one_samples.append(seconds)
            describe(f"changed {Path(rel).name}", seconds, report)
        one = statistics.median(one_samples)
        print(f"{'one file (median)':<26} {one * 1000:>10.1f} ms")

        warm_ratio = cold / warm
        one_share = one / cold
        print()
        print(f"warm speed-up   {warm_ratio:>8.0f}x   target >= {WARM_TARGET:.0f}x   ", end="")
        print("PASS" if warm_ratio >= WARM_TARGET else "FAIL")
        print(f"one-file share  {one_share:>8.1%}    target <= {CHANGED_TARGET:.0%}     ", end="")
        print("PASS" if one_share <= CHANGED_TARGET else "FAIL")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
