"""``jsonl://`` as a telemetry store: every query scans the day files it needs.

Slow by design (it is the baseline the benchmark compares SQL stores with, and a way to
query what the sink wrote). Writes are idempotent within a process; duplicates written
by other processes are dropped when reading (first occurrence wins). ``prune`` deletes
whole day files and rewrites only the files of the cutoff's day.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from empathy_core import StorageError, UsageGroup, UsageRecord, cache_dir, group_records, redact_url
from empathy_jsonl.files import JsonlFiles, as_utc
from empathy_jsonl.settings import DEFAULT_MAX_BYTES

PREFIX = "jsonl:///"


def directory_of(url: str) -> Path:
    """``jsonl:////abs/dir`` is absolute, ``jsonl:///name`` is relative to the cache dir."""
    if not url.startswith(PREFIX) or len(url) == len(PREFIX):
        raise StorageError(f"invalid JSONL URL {url!r}: expected jsonl:///dir or jsonl:////absolute/dir")
    path = Path(os.path.expanduser(url[len(PREFIX) :]))
    path = path if path.is_absolute() else cache_dir() / path
    if path.exists() and not path.is_dir():
        raise StorageError(f"telemetry store {url}: {path} is a file, not a directory")
    return path


class JsonlTelemetryStore:
    """A :class:`~empathy_core.TelemetryStore` over a directory of JSONL day files."""

    schema_version = 1

    def __init__(self, url: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.url = redact_url(url)
        self.files = JsonlFiles(directory_of(url), max_bytes)
        self._lock = threading.Lock()
        self._ids: set[str] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"JsonlTelemetryStore({self.url!r})"

    def _check_open(self) -> None:
        if self._closed:
            raise StorageError(f"telemetry store {self.url} is closed")

    def _records(self, since: datetime | None = None, *, newest_first: bool = False) -> Iterator[UsageRecord]:
        """Records since ``since``, deduplicated, ordered by time one day at a time."""
        self._check_open()
        start = None if since is None else as_utc(since)
        days = itertools.groupby(self.files.files(start.date() if start else None), key=lambda f: f[0])
        chunks = [[path for _, _, path in files] for _, files in days]
        seen: set[str] = set()
        for paths in reversed(chunks) if newest_first else chunks:
            day = [
                r
                for path in paths
                for r in self.files.read(path)
                if start is None or as_utc(r.timestamp) >= start
            ]
            day.sort(key=lambda r: as_utc(r.timestamp), reverse=newest_first)
            for record in day:
                if record.record_id not in seen:
                    seen.add(record.record_id)
                    yield record

    def write(self, record: UsageRecord) -> None:
        self.write_many((record,))

    def write_many(self, records: Iterable[UsageRecord]) -> int:
        with self._lock:
            self._check_open()
            if self._ids is None:
                self._ids = {r.record_id for r in self._records()}
            fresh: dict[str, UsageRecord] = {}
            for record in records:
                if record.record_id not in self._ids:
                    fresh.setdefault(record.record_id, record)
            written = self.files.append(fresh.values())
            self._ids.update(fresh)
            return written

    def stats(self, since: datetime | None = None) -> list[UsageGroup]:
        return group_records(self._records(since))

    def recent(self, limit: int = 100, since: datetime | None = None) -> list[UsageRecord]:
        return list(itertools.islice(self._records(since, newest_first=True), max(0, limit)))

    def iter_records(self, since: datetime | None = None) -> Iterator[UsageRecord]:
        return self._records(since)

    def count(self) -> int:
        return sum(1 for _ in self._records())

    def prune(self, before: datetime) -> int:
        """Delete the records older than ``before`` (see :meth:`JsonlFiles.prune`).

        Whole day files go; only files of ``before``'s UTC day are rewritten. Returns
        the number of distinct records removed.
        """
        with self._lock:
            self._check_open()
            removed = {r.record_id for r in self.files.prune(before)}
            if self._ids is not None:
                self._ids -= removed
            return len(removed)

    def reset(self) -> None:
        with self._lock:
            self._check_open()
            self.files.remove_all()
            self._ids = set()

    def close(self) -> None:
        self._closed = True
