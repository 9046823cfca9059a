"""ruff (lint) as a per-file tool: ``ruff check --output-format json``, never fixing, never caching."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from empathy_orchestrate.errors import ToolFailed
from empathy_orchestrate.tools import Completed, PerFileTool

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import SourceFile

HIGH_PREFIXES = ("E9", "F63", "F7", "F82")
MEDIUM_PREFIXES = ("F", "B", "PLE", "S", "ASYNC")
LOW_CODES = frozenset({"F401", "F841", "F811", "F541"})


def severity_of(code: str | None) -> str:
    """high: syntax errors and undefined names; medium: other pyflakes/bugbear/security; low: style."""
    if not code:
        return "high"
    if code.startswith(HIGH_PREFIXES):
        return "high"
    if code in LOW_CODES:
        return "low"
    if code.startswith(MEDIUM_PREFIXES):
        return "medium"
    return "low"


class Ruff(PerFileTool):
    """The repository's own ruff configuration applies; its excludes are honoured."""

    name = "ruff"
    module = "ruff"
    dist = "ruff"
    config_files = ("pyproject.toml", "ruff.toml", ".ruff.toml")

    def command(self, ctx: AnalysisContext, files: Sequence[SourceFile]) -> list[str]:
        return self.argv(
            "check",
            "--output-format=json",
            "--no-cache",
            "--no-fix",
            "--exit-zero",
            "--force-exclude",
            "--quiet",
            *(f.rel for f in files),
        )

    def parse(self, ctx: AnalysisContext, done: Completed, files: Sequence[SourceFile]) -> dict[str, Any]:
        if done.returncode != 0:
            raise ToolFailed(f"ruff failed: {done.tail()}")
        try:
            items = json.loads(done.stdout or "[]")
        except ValueError as exc:
            raise ToolFailed(f"ruff printed no JSON ({exc}): {done.tail()}") from exc
        root = str(ctx.repo.root)
        out: dict[str, list[Any]] = {f.rel: [] for f in files}
        for item in items:
            rel = os.path.relpath(item["filename"], root).replace(os.sep, "/")
            if rel in out:
                code = item.get("code")
                line = int((item.get("location") or {}).get("row") or 1)
                out[rel].append([line, severity_of(code), code or "syntax-error", item.get("message", "")])
        return out


RUFF = Ruff()
