"""mypy (types) as a whole-project tool: ``mypy -O json`` over the non-test modules.

Every import root of the repository goes on ``MYPYPATH`` with
``--explicit-package-bases``, so src layouts, flat layouts and several projects in one
tree resolve as they are laid out. mypy's incremental cache lives in our cache directory.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

from empathy_orchestrate.errors import ToolFailed
from empathy_orchestrate.tools import ProjectTool

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository, SourceFile

LOW_CODES = frozenset({"import-not-found", "import-untyped", "import", "no-redef", "unused-ignore"})


def severity_of(code: str | None) -> str:
    """high: syntax errors; low: missing stubs or modules; medium: every other type error."""
    if code == "syntax":
        return "high"
    return "low" if code in LOW_CODES else "medium"


class Mypy(ProjectTool):
    """The repository's mypy configuration applies (``pyproject.toml``, ``mypy.ini`` ...)."""

    name = "mypy"
    module = "mypy"
    dist = "mypy"
    config_files = ("pyproject.toml", "setup.cfg", "mypy.ini", ".mypy.ini")

    def inputs(self, repo: Repository) -> list[SourceFile]:
        """Non-test modules with valid names; of two files with one module name, the first."""
        seen: set[str] = set()
        out = []
        for file in repo.sources():
            if file.module in seen or not all(part.isidentifier() for part in file.module.split(".")):
                continue
            seen.add(file.module)
            out.append(file)
        return out

    async def execute(self, ctx: AnalysisContext) -> Any:
        files = self.inputs(ctx.repo)
        if not files:
            return []
        argv = self.argv(
            "-O",
            "json",
            "--no-error-summary",
            "--hide-error-context",
            "--no-pretty",
            "--no-color-output",
            "--explicit-package-bases",
            "--skip-cache-mtime-checks",
            "--cache-dir",
            str(ctx.work_dir / "mypy"),
            *(f.rel for f in files),
        )
        env = {"MYPYPATH": os.pathsep.join(ctx.repo.import_roots(files))}
        done = await ctx.runner.run(self, argv, files=len(files), env=env)
        if done.returncode not in (0, 1):
            raise ToolFailed(f"mypy failed: {done.tail()}")
        known = {f.rel for f in files}
        lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
        try:
            items = json.loads("[" + ",".join(lines) + "]")
        except ValueError as exc:
            raise ToolFailed(f"mypy printed JSON we cannot read ({exc}): {done.tail()}") from exc
        rows: list[list[Any]] = []
        for item in items:
            rel = str(item.get("file", "")).replace(os.sep, "/")
            if item.get("severity") != "error" or rel not in known:
                continue
            code = item.get("code")
            rows.append(
                [rel, int(item.get("line") or 1), severity_of(code), code or "error", item.get("message", "")]
            )
        if done.returncode == 1 and not rows:
            raise ToolFailed(f"mypy reported errors it did not print as JSON: {done.tail()}")
        return rows


MYPY = Mypy()
