"""Analysers as subprocesses: what a tool is, and the runner that starts, counts and kills them.

A tool runs as ``sys.executable -m <module>`` so that the analysers installed next to
Empathy are the ones used. :class:`PerFileTool` results depend on one file each (ruff,
bandit, the AST facts): only changed files are re-analysed. :class:`ProjectTool`
results depend on the whole tree (mypy, pytest + coverage): any relevant change reruns
them. Each tool's cache key holds its name, version, parser version and the content of
the configuration files it reads.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import importlib.metadata
import importlib.util
import os
import re
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core import scrubbed_environ
from empathy_orchestrate.errors import ToolUnavailable
from empathy_orchestrate.records import SEVERITIES

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository, SourceFile


@cache
def dist_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or ``None``."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@cache
def _module_found(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


class Tool:
    """An analyser run as ``python -m module``.

    Subclasses set ``name`` (shown in reports and used as cache name), ``module``,
    ``dist`` (the distribution to install; its version is part of the cache key),
    ``config_files`` (base names of configuration files that change its results) and
    ``parser_version`` (bump when the parsing of its output changes).
    """

    name: str = ""
    module: str = ""
    dist: str = ""
    config_files: tuple[str, ...] = ()
    parser_version: int = 1

    def version(self) -> str:
        """The installed version; :class:`ToolUnavailable` naming what to install if absent."""
        version = dist_version(self.dist)
        if version is None or not _module_found(self.module):
            raise ToolUnavailable(f"{self.name} is not installed: install {self.dist}")
        return version

    def display_version(self) -> str:
        """The version shown in reports (default: :meth:`version`)."""
        return self.version()

    def argv(self, *args: str) -> list[str]:
        """``[python, -m, module, *args]``."""
        return [sys.executable, "-m", self.module, *args]

    def key(self, ctx: AnalysisContext) -> str:
        """Cache key: name, version, parser version, options and configuration content."""
        configs = ctx.repo.configs_named(self.config_files)
        config_part = ",".join(f"{c.rel}={ctx.hashes[c.rel]}" for c in configs)
        return f"{self.name}|{self.version()}|p{self.parser_version}|{self.options(ctx)}|{config_part}"

    def options(self, ctx: AnalysisContext) -> str:
        """Settings that change the results (part of the cache key)."""
        return ""

    def check(self, ctx: AnalysisContext) -> None:
        """Raise :class:`ToolUnavailable` when the tool cannot run here (checked before the cache)."""


class PerFileTool(Tool, abc.ABC):
    """A tool whose result for a file depends only on that file (and configuration).

    ``run_files`` analyses the given files and returns ``rel -> result`` for every one of
    them (``[]`` when clean); results must be JSON data accepted by ``valid``.
    """

    batch_size: int = 500

    def select(self, repo: Repository) -> list[SourceFile]:
        """The files this tool analyses (default: every Python file)."""
        return list(repo.files)

    async def run_files(self, ctx: AnalysisContext, files: Sequence[SourceFile]) -> dict[str, Any]:
        """Analyse ``files``; the default runs :meth:`command` and :meth:`parse`."""
        done = await ctx.runner.run(self, self.command(ctx, files), files=len(files))
        return self.parse(ctx, done, files)

    @abc.abstractmethod
    def command(self, ctx: AnalysisContext, files: Sequence[SourceFile]) -> list[str]:
        """The argv that analyses ``files`` (run with the repository as working directory)."""

    @abc.abstractmethod
    def parse(self, ctx: AnalysisContext, done: Completed, files: Sequence[SourceFile]) -> dict[str, Any]:
        """Turn the output of :meth:`command` into ``rel -> result`` for every file given."""

    def valid(self, result: Any) -> bool:
        """Whether a cached result has the shape :meth:`parse` produces (default: file rows)."""
        return valid_file_rows(result)


class ProjectTool(Tool, abc.ABC):
    """A tool whose result depends on many files: rerun when any of ``inputs`` changes."""

    def inputs(self, repo: Repository) -> list[SourceFile]:
        """Files whose content the result depends on (default: every Python file)."""
        return list(repo.files)

    @abc.abstractmethod
    async def execute(self, ctx: AnalysisContext) -> Any:
        """Run the tool on the repository and return JSON data accepted by :meth:`valid`.

        Raise :class:`ToolUnavailable` when it does not apply, :class:`ToolFailed` when
        it crashed.
        """

    def valid(self, result: Any) -> bool:
        """Whether a cached result has the expected shape (default: project rows)."""
        return valid_project_rows(result)


def _row_ok(row: Any) -> bool:
    return (
        type(row) is list
        and len(row) == 4
        and type(row[0]) is int
        and row[1] in SEVERITIES
        and type(row[2]) is str
        and type(row[3]) is str
    )


def _project_row_ok(row: Any) -> bool:
    return type(row) is list and len(row) == 5 and type(row[0]) is str and _row_ok(row[1:])


def valid_file_rows(result: Any) -> bool:
    """``[[line, severity, rule, message], ...]``."""
    return type(result) is list and all(map(_row_ok, result))


def valid_project_rows(result: Any) -> bool:
    """``[[file, line, severity, rule, message], ...]``."""
    return type(result) is list and all(map(_project_row_ok, result))


@attrs.frozen
class Completed:
    """A finished subprocess."""

    returncode: int
    stdout: str
    stderr: str
    duration_ms: float

    def tail(self, lines: int = 5) -> str:
        """The last lines of stderr (else stdout), for error messages."""
        text = (self.stderr.strip() or self.stdout.strip()).splitlines()
        return " | ".join(text[-lines:]) if text else f"exit code {self.returncode}"


@attrs.define
class ToolCounter:
    """Invocations of one tool during a run: processes started and files given to them."""

    runs: int = 0
    files: int = 0
    cached_files: int = 0


class ToolRunner:
    """Starts tool subprocesses (bounded by a semaphore), counts them, kills them on cancel.

    Every process gets its own process group, so a timeout kills the tool and its children
    (pytest's workers, for instance). Its environment is ``os.environ`` scrubbed of secrets
    (:func:`~empathy_core.redaction.scrubbed_environ`: no secret-named variable such as
    ``ANTHROPIC_API_KEY``, no variable holding a secret value), taken when it starts, plus
    ``env`` and the ``env`` of :meth:`run`: the analysed repository's code (its tests, its
    plugins of pytest, mypy ...) never sees a provider key.
    """

    def __init__(self, cwd: str, env: Mapping[str, str], max_concurrency: int) -> None:
        self.cwd = cwd
        self.env = dict(env)
        self._semaphore = asyncio.Semaphore(max(1, max_concurrency))
        self.counters: dict[str, ToolCounter] = {}

    def counter(self, tool: str) -> ToolCounter:
        """The counter of ``tool`` (created at zero)."""
        return self.counters.setdefault(tool, ToolCounter())

    async def run(
        self,
        tool: Tool,
        argv: Sequence[str],
        *,
        files: int = 0,
        env: Mapping[str, str] | None = None,
    ) -> Completed:
        """Run ``argv`` to completion; a missing module raises :class:`ToolUnavailable`."""
        counter = self.counter(tool.name)
        counter.runs += 1
        counter.files += files
        async with self._semaphore:
            started = time.perf_counter()
            proc = await asyncio.create_subprocess_exec(
                *argv,
                cwd=self.cwd,
                env=scrubbed_environ({**self.env, **(env or {})}),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
            try:
                out, err = await proc.communicate()
            except BaseException:
                _kill(proc)
                with contextlib.suppress(ProcessLookupError):
                    await proc.wait()
                raise
        done = Completed(
            returncode=proc.returncode if proc.returncode is not None else -1,
            stdout=out.decode("utf-8", "replace"),
            stderr=err.decode("utf-8", "replace"),
            duration_ms=(time.perf_counter() - started) * 1000,
        )
        if done.returncode != 0 and _missing_module(tool.module, done.stderr):
            raise ToolUnavailable(f"{tool.name} is not installed: install {tool.dist}")
        return done


def _missing_module(module: str, stderr: str) -> bool:
    """Whether Python said it cannot find ``module`` (or its top-level package) to run."""
    top = re.escape(module.split(".")[0])
    return re.search(rf"No module named '?{top}(?:'|$|\s)", stderr, re.MULTILINE) is not None


def _kill(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
