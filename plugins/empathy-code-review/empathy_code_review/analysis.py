"""The analysers (ruff, bandit, AST facts, pytest + coverage), run through empathy-orchestrate.

The workflows do not run analysers themselves: they use the orchestrate plugin's tools
(subprocesses with JSON output, a scrubbed environment, results cached per file content
under ``cache_dir()``), so health-check, code-review and the other workflows share one
implementation and one cache. :func:`open_analysis` opens an analysis of some files of
a tree; ``await ctx.per_file(RUFF)`` and friends answer from it.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import AsyncIterator, Collection
from typing import Any

import attrs

from empathy_core import EmpathyError, SkippedFileWarning
from empathy_orchestrate.analyzers.bandit import BANDIT
from empathy_orchestrate.analyzers.coverage import PYTEST_COVERAGE
from empathy_orchestrate.analyzers.facts import AST_FACTS
from empathy_orchestrate.analyzers.ruff import RUFF
from empathy_orchestrate.context import AnalysisContext
from empathy_orchestrate.errors import RepositoryError, ToolFailed, ToolUnavailable
from empathy_orchestrate.layout import Repository, scan
from empathy_orchestrate.settings import OrchestrateSettings
from empathy_orchestrate.tools import PerFileTool

__all__ = [
    "AST_FACTS",
    "BANDIT",
    "PYTEST_COVERAGE",
    "RUFF",
    "AnalyserError",
    "AnalysisContext",
    "Repository",
    "ToolUnavailable",
    "layout",
    "open_analysis",
    "per_file",
    "project",
    "versions",
]


class AnalyserError(EmpathyError):
    """An analyser is missing or crashed: the stage that needed it fails, saying which."""


def layout(root: str, *, quiet: bool = True) -> Repository:
    """The Python files of the tree at ``root`` as orchestrate lays them out (tests apart).

    A missing path, or one without Python files, is an :class:`AnalyserError` (exit 2).
    With ``quiet``, files left out (outside the root, too large ...) are not warned about.
    """
    try:
        with warnings.catch_warnings():
            if quiet:
                warnings.simplefilter("ignore", SkippedFileWarning)
            return scan(root)
    except RepositoryError as exc:
        raise AnalyserError(exc.message, exit_code=2) from None


@contextlib.asynccontextmanager
async def open_analysis(
    root: str | Repository, files: Collection[str] | None = None
) -> AsyncIterator[AnalysisContext]:
    """An analysis of ``files`` (POSIX paths relative to ``root``; default: every Python file).

    ``root`` is a path or a :func:`layout`. Files the orchestrate layout leaves out
    (outside the root, too large, in skipped directories) are not analysed; the caller
    already warned about what it skipped.
    """
    repo = layout(root) if isinstance(root, str) else attrs.evolve(root, files=list(root.files))
    if files is not None:
        wanted = set(files)
        repo.files = [f for f in repo.files if f.rel in wanted]
    ctx = AnalysisContext.open(repo, OrchestrateSettings())
    try:
        yield ctx
    finally:
        await ctx.close()


async def per_file(ctx: AnalysisContext, tool: PerFileTool) -> dict[str, Any]:
    """``rel -> rows`` of ``tool``; a missing or crashing tool is an :class:`AnalyserError`."""
    try:
        return await ctx.per_file(tool)
    except (ToolUnavailable, ToolFailed) as exc:
        raise AnalyserError(f"{tool.name}: {exc}") from None


async def project(ctx: AnalysisContext, tool: Any) -> Any:
    """The whole-tree result of ``tool``; :class:`ToolUnavailable` when it does not apply here
    (no tests, for instance); a crash is an :class:`AnalyserError`."""
    try:
        return await ctx.project(tool)
    except ToolFailed as exc:
        raise AnalyserError(f"{tool.name}: {exc}") from None


def versions(*tools: PerFileTool) -> dict[str, str]:
    """``name -> installed version`` of ``tools``."""
    return {tool.name: tool.display_version() for tool in tools}
