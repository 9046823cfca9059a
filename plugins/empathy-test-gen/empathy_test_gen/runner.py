"""Run pytest under coverage on some test files and measure one source file.

``python -m coverage run -m pytest`` runs in the repository (its configuration applies)
through the orchestrate plugin's :class:`~empathy_orchestrate.tools.ToolRunner`: its own
process group, killed on timeout, an environment without API keys or other secrets.
Nothing is written into the repository: the coverage data, its JSON report and the
JUnit XML go to ``work_dir``, pytest's cache provider is off and no bytecode is written.
Test files may live outside the repository (the generated candidates do).
"""

from __future__ import annotations

import asyncio
import json
import os
import xml.etree.ElementTree as ET  # nosec B405 - parses the JUnit file our own pytest run wrote
from collections.abc import Sequence
from pathlib import Path

import attrs

from empathy_core import EmpathyError
from empathy_orchestrate.analyzers.coverage import PYTEST_COVERAGE
from empathy_orchestrate.context import NESTED_ENV
from empathy_orchestrate.tools import ToolRunner

TIMEOUT = 300.0
NO_TESTS_COLLECTED = 5


class RunError(EmpathyError):
    """pytest or coverage could not run the tests (not: some tests failed)."""


@attrs.frozen
class Outcome:
    """One test case: the file it is in, its name, ``passed``/``failed``/``error``/``skipped``."""

    file: str
    name: str
    status: str
    message: str = ""


@attrs.frozen
class PytestRun:
    """What one run measured: every test's outcome and the source file's line coverage."""

    outcomes: list[Outcome]
    statements: int
    covered: int
    functions: dict[str, tuple[int, int]]

    @property
    def coverage(self) -> float:
        """Covered statements over statements (1.0 for a file with none)."""
        return round(self.covered / self.statements, 3) if self.statements else 1.0

    def in_file(self, path: str) -> dict[str, Outcome]:
        """Outcomes of the tests of the file at ``path``, by test name."""
        name = Path(path).name
        return {o.name: o for o in self.outcomes if Path(o.file).name == name}


async def run_tests(
    root: str,
    source: str,
    tests: Sequence[str],
    work_dir: Path,
    *,
    pythonpath: Sequence[str] = (),
    timeout: float = TIMEOUT,
) -> PytestRun:
    """Run ``tests`` (paths) in ``root`` and measure the source file at ``source`` (a path).

    No test files: nothing runs, nothing is covered.
    """
    if not tests:
        return PytestRun([], 0, 0, {})
    work_dir.mkdir(parents=True, exist_ok=True)
    data, report, junit = work_dir / "coverage.data", work_dir / "coverage.json", work_dir / "junit.xml"
    for stale in (data, report, junit):
        stale.unlink(missing_ok=True)
    env = {
        "COVERAGE_FILE": str(data),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": os.pathsep.join([*pythonpath, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
    }
    runner = ToolRunner(cwd=root, env={NESTED_ENV: "1"}, max_concurrency=1)
    argv = PYTEST_COVERAGE.argv(
        "run",
        f"--data-file={data}",
        f"--include={source}",
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        "-o",
        "junit_family=xunit1",
        f"--junitxml={junit}",
        f"--rootdir={root}",
        *tests,
    )
    try:
        done = await asyncio.wait_for(runner.run(PYTEST_COVERAGE, argv, env=env), timeout)
    except TimeoutError:
        raise RunError(f"the tests took longer than {timeout:.0f} s") from None
    if done.returncode not in (0, 1, 2, NO_TESTS_COLLECTED) or not junit.exists():
        raise RunError(f"pytest could not run the tests (exit code {done.returncode}): {done.tail()}")
    outcomes = _junit(junit)
    if not data.exists():
        return PytestRun(outcomes, 0, 0, {})
    exported = await runner.run(
        PYTEST_COVERAGE, PYTEST_COVERAGE.argv("json", f"--data-file={data}", "-o", str(report), "-q"), env=env
    )
    if exported.returncode != 0 or not report.exists():
        return PytestRun(outcomes, 0, 0, {})  # nothing of the source was imported: no data for it
    return _measured(outcomes, json.loads(report.read_text(encoding="utf-8")), root, source)


def _measured(outcomes: list[Outcome], data: dict[str, object], root: str, source: str) -> PytestRun:
    files = data.get("files")
    target = os.path.realpath(source)
    for name, item in (files.items() if isinstance(files, dict) else []):
        if not isinstance(item, dict) or os.path.realpath(os.path.join(root, name)) != target:
            continue
        summary = item.get("summary", {})
        functions = {
            fname: (f["summary"]["num_statements"], f["summary"]["covered_lines"])
            for fname, f in item.get("functions", {}).items()
            if fname
        }
        return PytestRun(outcomes, int(summary["num_statements"]), int(summary["covered_lines"]), functions)
    return PytestRun(outcomes, 0, 0, {})


def _junit(path: Path) -> list[Outcome]:
    tree = ET.parse(path)  # nosec B314 - the file was written by our own pytest run, in our temp dir
    found = []
    for case in tree.iter("testcase"):
        status, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            outcome = case.find(tag)
            if outcome is not None:
                status = {"failure": "failed"}.get(tag, tag)
                lines = (outcome.get("message") or tag).strip().splitlines()
                message = lines[0][:300] if lines else tag
                break
        found.append(Outcome(case.get("file") or "", case.get("name") or "", status, message))
    return found
