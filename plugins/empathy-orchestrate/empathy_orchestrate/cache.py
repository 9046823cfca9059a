"""The incremental result cache: one JSON index per analysed repository.

Layout under ``cache_dir()/orchestrate/<repository key>/``::

    snapshot.json  (mtime_ns, size, inode) -> content hash and line count of every file
    reports.json   finished agent reports; rankings and syntheses derived from them
    index.json     per-file tool results and whole-project tool results
    history.json   scores of previous health-checks (trend)
    mypy/          mypy's own incremental cache

Per-file results are stored under the tool's name with the tool's *key* (name, version,
parser version, relevant configuration) and each file's content hash; a result is used
only when both match. Whole-project results are stored with a digest of every input.
A finished agent report is stored with a digest of the plugin's code, the agent's
tools' keys and options, and every file's hash: an unchanged tree is answered from
``reports.json`` without reading ``index.json`` or starting any tool.
Everything read back is validated: an unreadable index is ignored whole, a malformed
entry is ignored alone, and either is rebuilt by the next run. Writes are atomic (temp
file + ``os.replace``). Nothing is ever written into the analysed repository.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from empathy_core import cache_dir

INDEX_VERSION = 1
HISTORY_LIMIT = 100
MEMO_KEPT = 32
MISSING: Any = object()


def orchestrate_dir() -> Path:
    """``cache_dir()/orchestrate`` (created)."""
    path = cache_dir() / "orchestrate"
    path.mkdir(parents=True, exist_ok=True)
    return path


def repository_dir(key: str) -> Path:
    """The cache directory of one repository (created)."""
    path = orchestrate_dir() / key
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` so that readers see the old or the new file, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, separators=(",", ":")))  # dumps: the C encoder
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def read_json(path: Path) -> Any:
    """The JSON in ``path``, or ``None`` when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return None


class ResultCache:
    """Cached results of one repository; ``directory=None`` keeps them in memory only (``--no-cache``).

    Three files, each written only when it changed: ``snapshot.json`` (stat data and
    hashes, read on every run), ``reports.json`` (finished agent reports and rankings,
    read on every run: an unchanged tree is answered from it alone) and ``index.json``
    (per-file and whole-project tool results, read only when some agent must run).
    """

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory
        self.snapshot: dict[str, list[Any]] = {}
        self.snapshot_taken_ns = 0
        self._per_file: dict[str, dict[str, Any]] = {}
        self._project: dict[str, dict[str, Any]] = {}
        self._reports: dict[str, Any] = {}
        self._memo: dict[str, Any] = {}
        self._index_loaded = directory is None
        self._dirty: set[str] = set()
        self.rejected = 0
        if directory is not None:
            self._load_snapshot(directory / "snapshot.json")
            self._load_reports(directory / "reports.json")

    # -- persistence -----------------------------------------------------------------

    def _read(self, path: Path) -> dict[str, Any] | None:
        data = read_json(path)
        if data is None and not path.exists():
            return None
        if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
            self.rejected += 1
            return None
        return data

    def _load_snapshot(self, path: Path) -> None:
        data = self._read(path)
        if data is None:
            return
        snapshot, taken = data.get("snapshot"), data.get("taken_ns")
        if isinstance(snapshot, dict) and isinstance(taken, int):
            self.snapshot, self.snapshot_taken_ns = snapshot, taken

    def _load_reports(self, path: Path) -> None:
        data = self._read(path)
        if data is None:
            return
        for store, name in ((self._reports, "agents"), (self._memo, "memo")):
            section = data.get(name)
            if isinstance(section, dict):
                store.update(section)

    def _index(self) -> None:
        if self._index_loaded or self.directory is None:
            return
        self._index_loaded = True
        data = self._read(self.directory / "index.json")
        if data is None:
            return
        for store, name in ((self._per_file, "per_file"), (self._project, "project")):
            section = data.get(name)
            if isinstance(section, dict):
                store.update({k: v for k, v in section.items() if isinstance(v, dict)})

    def save(self, snapshot: dict[str, list[Any]], taken_ns: int, *, rehashed: bool) -> None:
        """Persist what changed (atomically); no-op in memory mode.

        ``rehashed``: some file was read to hash it, so the snapshot is stored again with
        its new time even if no hash changed (the racily-clean files become clean).
        """
        if self.directory is None:
            return
        if rehashed or snapshot != self.snapshot:
            self.snapshot, self.snapshot_taken_ns = snapshot, taken_ns
            write_json_atomic(
                self.directory / "snapshot.json",
                {"version": INDEX_VERSION, "taken_ns": taken_ns, "snapshot": snapshot},
            )
        if "index" in self._dirty:
            live = set(snapshot)
            for entry in self._per_file.values():
                files = entry.get("files")
                if isinstance(files, dict):
                    for rel in [rel for rel in files if rel not in live]:
                        del files[rel]
            write_json_atomic(
                self.directory / "index.json",
                {"version": INDEX_VERSION, "per_file": self._per_file, "project": self._project},
            )
        if "reports" in self._dirty:
            write_json_atomic(
                self.directory / "reports.json",
                {"version": INDEX_VERSION, "agents": self._reports, "memo": self._memo},
            )
        self._dirty.clear()

    # -- per-file results --------------------------------------------------------------

    def get_file(self, tool: str, key: str, rel: str, digest: str, valid: Callable[[Any], bool]) -> Any:
        """The cached result of ``tool`` for ``rel`` at ``digest``, or :data:`MISSING`."""
        self._index()
        entry = self._per_file.get(tool)
        if entry is None or entry.get("key") != key or not isinstance(entry.get("files"), dict):
            return MISSING
        item = entry["files"].get(rel)
        if not (isinstance(item, list) and len(item) == 2 and item[0] == digest):
            return MISSING
        if not valid(item[1]):
            self.rejected += 1
            return MISSING
        return item[1]

    def put_file(self, tool: str, key: str, rel: str, digest: str, result: Any) -> None:
        """Store ``result`` for ``rel`` at ``digest``; a new ``key`` drops the tool's old results."""
        self._index()
        entry = self._per_file.get(tool)
        if entry is None or entry.get("key") != key or not isinstance(entry.get("files"), dict):
            entry = self._per_file[tool] = {"key": key, "files": {}}
        entry["files"][rel] = [digest, result]
        self._dirty.add("index")

    # -- whole-project results ---------------------------------------------------------

    def get_project(self, tool: str, digest: str, valid: Callable[[Any], bool]) -> Any:
        """The cached result of ``tool`` for inputs ``digest``, or :data:`MISSING`."""
        self._index()
        entry = self._project.get(tool)
        if entry is None or entry.get("digest") != digest or "result" not in entry:
            return MISSING
        if not valid(entry["result"]):
            self.rejected += 1
            return MISSING
        return entry["result"]

    def put_project(self, tool: str, digest: str, result: Any) -> None:
        """Store the whole-project ``result`` of ``tool`` for inputs ``digest``."""
        self._index()
        self._project[tool] = {"digest": digest, "result": result}
        self._dirty.add("index")

    # -- finished reports ----------------------------------------------------------------

    def get_report(self, agent: str, key: str) -> Any:
        """The stored report data of ``agent`` for ``key``, or :data:`MISSING`."""
        entry = self._reports.get(agent)
        if not isinstance(entry, dict) or entry.get("key") != key or "report" not in entry:
            return MISSING
        return entry["report"]

    def put_report(self, agent: str, key: str, data: Any) -> None:
        """Store ``agent``'s finished report data under ``key`` (one per agent)."""
        self._reports[agent] = {"key": key, "report": data}
        self._dirty.add("reports")

    def get_memo(self, key: str) -> Any:
        """A stored derived result (a ranking, a synthesis) for ``key``, or :data:`MISSING`."""
        return self._memo.get(key, MISSING)

    def put_memo(self, key: str, data: Any) -> None:
        """Store a derived result; the last :data:`MEMO_KEPT` are kept."""
        self._memo.pop(key, None)
        self._memo[key] = data
        while len(self._memo) > MEMO_KEPT:
            del self._memo[next(iter(self._memo))]
        self._dirty.add("reports")

    def reject(self) -> None:
        """Count an entry that failed validation (it is ignored and rebuilt)."""
        self.rejected += 1


class History:
    """Scores of previous health-checks of one repository (``history.json``)."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "history.json"
        data = read_json(self.path)
        self.entries: list[dict[str, Any]] = (
            [e for e in data if isinstance(e, dict) and isinstance(e.get("mode"), str)]
            if isinstance(data, list)
            else []
        )

    def previous(self, selection: str) -> dict[str, Any] | None:
        """The last entry recorded for ``selection`` (a mode, or ``agents:<names>``)."""
        for entry in reversed(self.entries):
            if entry.get("mode") == selection:
                return entry
        return None

    def append(self, selection: str, score: float | None, scores: dict[str, float]) -> None:
        """Record one run of ``selection`` (keeps the last :data:`HISTORY_LIMIT`)."""
        self.entries.append({"mode": selection, "at": time.time(), "score": score, "scores": scores})
        write_json_atomic(self.path, self.entries[-HISTORY_LIMIT:])


def clear(key: str | None = None) -> int:
    """Delete the cache of repository ``key`` (all repositories if ``None``); returns bytes freed."""
    target = orchestrate_dir() / key if key else orchestrate_dir()
    if not target.exists():
        return 0
    freed = sum(p.stat().st_size for p in target.rglob("*") if p.is_file())
    shutil.rmtree(target)
    return freed
