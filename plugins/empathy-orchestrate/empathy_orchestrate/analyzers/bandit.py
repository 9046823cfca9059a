"""bandit (security) as a per-file tool: ``bandit -f json``.

``assert`` in test files (B101) is not a finding: tests are where asserts belong.
"""

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

TEST_ONLY_RULES = frozenset({"B101"})


class Bandit(PerFileTool):
    """Reads ``[tool.bandit]`` from the root ``pyproject.toml`` or ``.bandit`` when present."""

    name = "bandit"
    module = "bandit"
    dist = "bandit"
    config_files = ("pyproject.toml", ".bandit")

    def command(self, ctx: AnalysisContext, files: Sequence[SourceFile]) -> list[str]:
        return self.argv("-f", "json", "-q", *self._config_args(ctx), *(f.rel for f in files))

    def _config_args(self, ctx: AnalysisContext) -> list[str]:
        pyproject = ctx.repo.root / "pyproject.toml"
        if pyproject.is_file() and "[tool.bandit" in pyproject.read_text(encoding="utf-8", errors="replace"):
            return ["-c", "pyproject.toml"]
        if (ctx.repo.root / ".bandit").is_file():
            return ["--ini", ".bandit"]
        return []

    def parse(self, ctx: AnalysisContext, done: Completed, files: Sequence[SourceFile]) -> dict[str, Any]:
        if done.returncode not in (0, 1):
            raise ToolFailed(f"bandit failed: {done.tail()}")
        try:
            data = json.loads(done.stdout)
        except ValueError as exc:
            raise ToolFailed(f"bandit printed no JSON ({exc}): {done.tail()}") from exc
        kinds = {f.rel: f.kind for f in files}
        out: dict[str, list[Any]] = {f.rel: [] for f in files}
        for item in data.get("results", []):
            rel = os.path.normpath(item["filename"]).replace(os.sep, "/")
            test_id = item.get("test_id", "")
            if rel not in out or (kinds[rel] == "test" and test_id in TEST_ONLY_RULES):
                continue
            severity = str(item.get("issue_severity", "LOW")).lower()
            out[rel].append(
                [
                    int(item.get("line_number") or 1),
                    severity if severity in ("high", "medium", "low") else "low",
                    f"{test_id} {item.get('test_name', '')}".strip(),
                    item.get("issue_text", ""),
                ]
            )
        return out


BANDIT = Bandit()
