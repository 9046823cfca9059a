"""pytest under coverage as a whole-project tool: the analysed repository's own tests.

Nothing is written into the repository: the coverage data file, its JSON report and
pytest's JUnit XML go to the run's temporary directory, pytest's cache provider is off,
no bytecode is written (``PYTHONDONTWRITEBYTECODE``: neither the repository's modules
nor pytest's rewritten test modules land in ``__pycache__``). The run is refused inside
another health-check run (``EMPATHY_ORCHESTRATE_NESTED``), so analysing this project,
whose tests run health-checks, cannot recurse.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET  # nosec B405 - parses the JUnit file our own pytest run wrote
from typing import TYPE_CHECKING, Any

from empathy_orchestrate.context import NESTED_ENV, is_nested
from empathy_orchestrate.errors import ToolFailed, ToolUnavailable
from empathy_orchestrate.tools import ProjectTool, dist_version

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository

NO_TESTS_COLLECTED = 5
SLOW_TEST_FLOOR = 0.05


class PytestCoverage(ProjectTool):
    """Runs ``coverage run -m pytest`` then ``coverage json``; the result is plain JSON data::

    {"files": {rel: [statements, covered, missing_lines, [[function, line, statements, covered]]]},
     "tests": {"total": n, "failed": n, "errors": n, "skipped": n},
     "failures": [[file, line, test, message]], "durations": [[test, file, line, seconds]]}
    """

    name = "coverage"
    module = "coverage"
    dist = "coverage"
    config_files = ("pyproject.toml", "setup.cfg", "tox.ini", "pytest.ini", ".coveragerc")

    def version(self) -> str:
        coverage_version = super().version()
        pytest_version = dist_version("pytest")
        if pytest_version is None:
            raise ToolUnavailable("pytest is not installed: install pytest")
        return f"{coverage_version}+pytest-{pytest_version}"

    def display_version(self) -> str:
        return self.version().replace("+pytest-", ", pytest ")

    def check(self, ctx: AnalysisContext) -> None:
        if is_nested():
            raise ToolUnavailable(f"tests are not run inside another health-check ({NESTED_ENV} is set)")
        if not ctx.repo.tests():
            raise ToolUnavailable("no tests found (test_*.py, *_test.py or a tests/ directory)")

    def source_dirs(self, repo: Repository) -> list[str]:
        """Directories to measure: each top-level package, and the directory of each script."""
        dirs = set()
        for file in repo.sources():
            top = file.module.split(".")[0] if "." in file.module or file.rel.endswith("__init__.py") else ""
            base = "/".join(p for p in (file.root, top) if p)
            dirs.add(base or ".")
        return sorted(dirs)

    async def execute(self, ctx: AnalysisContext) -> Any:
        data_file = ctx.tmp_dir / "coverage.data"
        report = ctx.tmp_dir / "coverage.json"
        junit = ctx.tmp_dir / "junit.xml"
        env = {"COVERAGE_FILE": str(data_file), NESTED_ENV: "1", "PYTHONDONTWRITEBYTECODE": "1"}
        run = self.argv(
            "run",
            f"--data-file={data_file}",
            f"--source={','.join(self.source_dirs(ctx.repo))}",
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-q",
            "-o",
            "junit_family=xunit1",
            f"--junitxml={junit}",
        )
        files = len(self.inputs(ctx.repo))
        done = await ctx.runner.run(self, run, files=files, env=env)
        if done.returncode == NO_TESTS_COLLECTED:
            raise ToolUnavailable("pytest collected no tests")
        if done.returncode not in (0, 1, 2) or not junit.exists():
            raise ToolFailed(f"pytest failed (exit code {done.returncode}): {done.tail()}")
        export = self.argv("json", f"--data-file={data_file}", "-o", str(report), "-q")
        exported = await ctx.runner.run(self, export, env=env)
        if exported.returncode != 0 or not report.exists():
            raise ToolFailed(f"coverage json failed: {exported.tail()}")
        result = _coverage_files(ctx, json.loads(report.read_text(encoding="utf-8")))
        result.update(_junit(ctx, junit))
        return result

    def valid(self, result: Any) -> bool:
        if not isinstance(result, dict) or not isinstance(result.get("files"), dict):
            return False
        tests = result.get("tests")
        return (
            isinstance(tests, dict)
            and all(isinstance(tests.get(k), int) for k in ("total", "failed", "errors", "skipped"))
            and all(isinstance(v, list) and len(v) == 4 for v in result["files"].values())
            and all(isinstance(r, list) and len(r) == 4 for r in result.get("failures", [None]))
            and all(isinstance(r, list) and len(r) == 4 for r in result.get("durations", [None]))
        )


def _coverage_files(ctx: AnalysisContext, data: dict[str, Any]) -> dict[str, Any]:
    root = str(ctx.repo.root)
    sources = {f.rel for f in ctx.repo.sources()}
    files: dict[str, Any] = {}
    for name, item in data.get("files", {}).items():
        rel = os.path.relpath(os.path.join(root, name), root).replace(os.sep, "/")
        if rel not in sources:
            continue
        summary = item.get("summary", {})
        functions = [
            [
                fname,
                int(f.get("start_line") or 1),
                f["summary"]["num_statements"],
                f["summary"]["covered_lines"],
            ]
            for fname, f in item.get("functions", {}).items()
            if fname
        ]
        files[rel] = [
            int(summary.get("num_statements", 0)),
            int(summary.get("covered_lines", 0)),
            list(item.get("missing_lines", [])),
            functions,
        ]
    return {"files": files}


def _junit(ctx: AnalysisContext, path: Any) -> dict[str, Any]:
    tree = ET.parse(path)  # nosec B314 - the file was written by our own pytest run, in our temp dir
    totals = {"total": 0, "failed": 0, "errors": 0, "skipped": 0}
    failures: list[list[Any]] = []
    durations: list[list[Any]] = []
    for case in tree.iter("testcase"):
        totals["total"] += 1
        name = f"{case.get('classname', '')}::{case.get('name', '')}".strip(":")
        file = (case.get("file") or "").replace(os.sep, "/")
        line = int(case.get("line") or 0) + 1
        seconds = float(case.get("time") or 0.0)
        if seconds >= SLOW_TEST_FLOOR:
            durations.append([name, file, line, round(seconds, 3)])
        for tag, key in (("failure", "failed"), ("error", "errors"), ("skipped", "skipped")):
            outcome = case.find(tag)
            if outcome is None:
                continue
            totals[key] += 1
            if key != "skipped":
                message = (outcome.get("message") or tag).strip().splitlines()
                failures.append([file, line, name, message[0][:300] if message else tag])
            break
    durations.sort(key=lambda row: -row[3])
    return {"tests": totals, "failures": failures, "durations": durations[:50]}


PYTEST_COVERAGE = PytestCoverage()
