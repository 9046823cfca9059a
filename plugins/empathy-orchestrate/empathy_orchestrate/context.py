"""One analysis run: the repository, its file hashes, the cache and the tool runner.

Agents ask the context for tool results; the context answers from the cache when it can
and otherwise runs the tool once, however many agents ask (a shared task each agent
awaits through ``asyncio.shield``, so one agent's timeout does not cancel another's
work). Per-file tools run only on the files whose hash has no cached result.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import math
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from empathy_orchestrate import fingerprint
from empathy_orchestrate.cache import MISSING, ResultCache, repository_dir
from empathy_orchestrate.errors import ToolUnavailable
from empathy_orchestrate.layout import Repository, SourceFile
from empathy_orchestrate.settings import OrchestrateSettings
from empathy_orchestrate.tools import PerFileTool, ProjectTool, ToolRunner

if TYPE_CHECKING:
    from empathy_orchestrate.agents.base import AgentTemplate

NESTED_ENV = "EMPATHY_ORCHESTRATE_NESTED"
MIN_BATCH = 25


@functools.cache
def code_version() -> str:
    """Digest of this plugin's own source: a report made by other code is never reused."""
    digest = hashlib.blake2b(digest_size=8)
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_nested() -> bool:
    """True inside a process started by a health-check (its tests, for instance)."""
    return os.environ.get(NESTED_ENV, "") not in {"", "0"}


class AnalysisContext:
    """What agents of one run share. Create with :meth:`open`, finish with :meth:`close`.

    ``hashes`` and ``lines`` cover every Python and configuration file of ``repo``;
    ``selected`` names the agents of this run.
    """

    def __init__(
        self,
        repo: Repository,
        cache: ResultCache,
        settings: OrchestrateSettings,
        *,
        work_dir: Path,
        selected: Sequence[str] = (),
    ) -> None:
        self.repo = repo
        self.cache = cache
        self.settings = settings
        self.work_dir = work_dir
        self.selected = frozenset(selected)
        self.started_ns = time.time_ns()
        entries = [*repo.files, *repo.configs]
        self.snapshot, self.read = fingerprint.hash_files(entries, cache.snapshot, cache.snapshot_taken_ns)
        if len(self.snapshot) < len(entries):
            repo.files = [f for f in repo.files if f.rel in self.snapshot]
            repo.configs = [c for c in repo.configs if c.rel in self.snapshot]
        self.hashes = {rel: entry[3] for rel, entry in self.snapshot.items()}
        self.lines = {rel: entry[4] for rel, entry in self.snapshot.items()}
        self.tmp_dir = Path(tempfile.mkdtemp(prefix="empathy-orchestrate-"))
        self.runner = ToolRunner(
            cwd=str(repo.root),
            env={NESTED_ENV: "1"},
            max_concurrency=settings.concurrency(),
        )
        self._tasks: dict[str, asyncio.Future[Any]] = {}
        self.report_keys: dict[str, str] = {}

    @classmethod
    def open(
        cls,
        repo: Repository,
        settings: OrchestrateSettings,
        *,
        use_cache: bool = True,
        selected: Sequence[str] = (),
    ) -> AnalysisContext:
        """A context whose cache lives under ``cache_dir()`` (in memory with ``use_cache=False``)."""
        work_dir = repository_dir(repo.key)
        cache = ResultCache(work_dir if use_cache else None)
        return cls(repo, cache, settings, work_dir=work_dir, selected=selected)

    # -- sizes -----------------------------------------------------------------------

    def lines_of(self, files: Sequence[SourceFile]) -> int:
        """Total lines of ``files``."""
        return sum(self.lines.get(f.rel, 0) for f in files)

    @functools.cached_property
    def tree_digest(self) -> str:
        """One digest of every file's path and content hash."""
        return fingerprint.combine(f"{rel}={digest}" for rel, digest in sorted(self.hashes.items()))

    def report_key(self, template: AgentTemplate) -> str:
        """The cache key of ``template``'s finished report for this tree.

        It changes with the plugin's code, the template's ``version`` and ``options``,
        its tools' keys (versions, configuration) and any file's content. Raises
        :class:`ToolUnavailable` when one of its tools cannot run here.
        """
        for tool in template.tools:
            tool.check(self)
        parts = [code_version(), template.name, template.version, template.options(self)]
        parts += [tool.key(self) for tool in template.tools]
        return fingerprint.combine([*parts, self.tree_digest])

    # -- shared work -----------------------------------------------------------------

    def shared(self, name: str, make: Callable[[], Awaitable[Any]]) -> Awaitable[Any]:
        """Run ``make()`` once per context under ``name``; every caller awaits the same result."""
        task = self._tasks.get(name)
        if task is None:
            task = self._tasks[name] = asyncio.ensure_future(make())
        return asyncio.shield(task)

    def per_file(self, tool: PerFileTool) -> Awaitable[dict[str, Any]]:
        """``rel -> result`` for every file ``tool`` selects, cached per file content."""
        return self.shared(f"file:{tool.name}", lambda: self._per_file(tool))

    def project(self, tool: ProjectTool) -> Awaitable[Any]:
        """The whole-project result of ``tool``, cached per digest of all its inputs."""
        return self.shared(f"project:{tool.name}", lambda: self._project(tool))

    async def _per_file(self, tool: PerFileTool) -> dict[str, Any]:
        counter = self.runner.counter(tool.name)
        tool.check(self)
        key = tool.key(self)
        results: dict[str, Any] = {}
        missing: list[SourceFile] = []
        for file in tool.select(self.repo):
            cached = self.cache.get_file(tool.name, key, file.rel, self.hashes[file.rel], tool.valid)
            if cached is MISSING:
                missing.append(file)
            else:
                results[file.rel] = cached
        counter.cached_files += len(results)
        if not missing:
            return results
        batches = max(1, min(self.settings.concurrency(), math.ceil(len(missing) / MIN_BATCH)))
        size = min(tool.batch_size, math.ceil(len(missing) / batches))
        chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
        for chunk, fresh in zip(
            chunks, await asyncio.gather(*(tool.run_files(self, c) for c in chunks)), strict=True
        ):
            for file in chunk:
                result = fresh.get(file.rel, [])
                self.cache.put_file(tool.name, key, file.rel, self.hashes[file.rel], result)
                results[file.rel] = result
        return results

    async def _project(self, tool: ProjectTool) -> Any:
        counter = self.runner.counter(tool.name)
        tool.check(self)
        key = tool.key(self)
        inputs = tool.inputs(self.repo)
        configs = self.repo.configs_named(tool.config_files)
        rels = [f.rel for f in inputs] + [c.rel for c in configs]
        digest = fingerprint.combine([key, *(f"{rel}={self.hashes[rel]}" for rel in rels)])

        def valid(entry: Any) -> bool:
            if not isinstance(entry, dict):
                return False
            if "unavailable" in entry:
                return isinstance(entry["unavailable"], str)
            return "ok" in entry and tool.valid(entry["ok"])

        cached = self.cache.get_project(tool.name, digest, valid)
        if cached is MISSING:
            try:
                cached = {"ok": await tool.execute(self)}
            except ToolUnavailable as exc:
                cached = {"unavailable": str(exc)}
            self.cache.put_project(tool.name, digest, cached)
        else:
            counter.cached_files += len(inputs)
        if "unavailable" in cached:
            raise ToolUnavailable(cached["unavailable"])
        return cached["ok"]

    def ran(self, *tools: str) -> bool:
        """Whether any of ``tools`` started a process in this run."""
        return any(self.runner.counter(name).runs for name in tools)

    # -- end -------------------------------------------------------------------------

    async def close(self) -> None:
        """Cancel shared work nobody waits for any more, save the cache, remove temp files."""
        pending = [t for t in self._tasks.values() if not t.done()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self.cache.save(self.snapshot, self.started_ns, rehashed=bool(self.read))
        with contextlib.suppress(OSError):
            shutil.rmtree(self.tmp_dir)
