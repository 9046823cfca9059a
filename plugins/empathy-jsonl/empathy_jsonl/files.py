"""The on-disk layout: ``usage-YYYY-MM-DD[.N].jsonl``, one JSON object per line.

A record goes to the file of its UTC day; when that file would grow past ``max_bytes``
the next one (``.1``, ``.2`` ...) is started. Appends use ``O_APPEND`` with one
``write`` per file and batch, so concurrent processes interleave whole lines. Readers
skip a torn last line left by a killed writer.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from empathy_core import StorageError, Usage, UsageRecord, to_dict

log = logging.getLogger("empathy.telemetry.jsonl")

_NAME = re.compile(r"^usage-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl\Z")
_REQUIRED = ("workflow", "stage", "tier", "provider", "model", "record_id")


def encode(record: UsageRecord) -> bytes:
    """One line of JSON for ``record``; rejects records missing required text fields."""
    for name in _REQUIRED:
        if not isinstance(getattr(record, name), str):
            raise StorageError(
                f"usage record {record.record_id!r}: {name} must be text, got {getattr(record, name)!r}"
            )
    return (json.dumps(to_dict(record), separators=(",", ":")) + "\n").encode("utf-8")


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive means UTC), to compare and bucket by day."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_day(moment: datetime) -> str:
    """``YYYY-MM-DD`` of ``moment`` in UTC (naive means UTC)."""
    return as_utc(moment).date().isoformat()


def decode(data: dict[str, Any]) -> UsageRecord:
    """A record from one parsed line (the inverse of :func:`encode`, without cattrs' overhead)."""
    fields = dict(data)
    fields["usage"] = Usage(**fields["usage"])
    fields["timestamp"] = datetime.fromisoformat(fields["timestamp"])
    return UsageRecord(**fields)


class JsonlFiles:
    """The JSONL files of one directory."""

    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self._current: dict[str, int] = {}

    def path(self, day: str, index: int) -> Path:
        suffix = f".{index}" if index else ""
        return self.directory / f"usage-{day}{suffix}.jsonl"

    def append(self, records: Iterable[UsageRecord]) -> int:
        """Append ``records`` (all validated first: a bad one writes nothing); returns the count."""
        by_day: dict[str, list[bytes]] = {}
        for record in records:
            line = encode(record)
            by_day.setdefault(utc_day(record.timestamp), []).append(line)
        if not by_day:
            return 0
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            for day, lines in by_day.items():
                self._write(day, b"".join(lines))
        except OSError as exc:
            raise StorageError(
                f"cannot append telemetry to {self.directory}: {exc.strerror or exc}"
            ) from None
        return sum(len(lines) for lines in by_day.values())

    def _write(self, day: str, data: bytes) -> None:
        index = self._current.get(day)
        if index is None:
            index = max((i for d, i, _ in self.files() if d == day), default=0)
        while True:
            path = self.path(day, index)
            size = path.stat().st_size if path.exists() else 0
            if size == 0 or size + len(data) <= self.max_bytes:
                break
            index += 1
        self._current[day] = index
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def files(self, since: date | None = None) -> list[tuple[str, int, Path]]:
        """``(day, index, path)`` of every file (of ``since``'s day and later), oldest first."""
        if not self.directory.is_dir():
            return []
        found = []
        first = since.isoformat() if since else ""
        for entry in os.scandir(self.directory):
            match = _NAME.match(entry.name)
            if match and match.group(1) >= first:
                found.append((match.group(1), int(match.group(2) or 0), Path(entry.path)))
        return sorted(found)

    def read(self, path: Path) -> Iterator[UsageRecord]:
        """The records of one file; unreadable lines (a torn tail) are skipped and logged."""
        for _, record in self._lines(path):
            if record is not None:
                yield record

    def _lines(self, path: Path) -> Iterator[tuple[bytes, UsageRecord | None]]:
        """Every line of one file with its record (``None``: unreadable, logged)."""
        with path.open("rb") as handle:
            for number, line in enumerate(handle, start=1):
                try:
                    yield line, decode(json.loads(line))
                except (ValueError, TypeError, KeyError) as exc:
                    log.warning("skipping unreadable line %s:%d (%s)", path, number, exc)
                    yield line, None

    def prune(self, before: datetime) -> list[UsageRecord]:
        """Remove the records older than ``before``; returns them.

        Files of UTC days before ``before``'s day are deleted whole. A file of that day
        holding older records is rewritten without them (to a temporary file, then
        ``os.replace``), every other line kept byte for byte; it is deleted if nothing
        is left. Lines appended to that one day's file during the rewrite may be lost,
        which only a record stamped on the cutoff day, written late, can meet.
        """
        cutoff_day, cutoff = utc_day(before), as_utc(before)
        removed: list[UsageRecord] = []
        try:
            for day, _, path in self.files():
                if day > cutoff_day:
                    break
                if day < cutoff_day:
                    removed.extend(self.read(path))
                    path.unlink(missing_ok=True)
                    continue
                kept: list[bytes] = []
                old: list[UsageRecord] = []
                for line, record in self._lines(path):
                    if record is not None and as_utc(record.timestamp) < cutoff:
                        old.append(record)
                    else:
                        kept.append(line)
                if old:
                    self._replace(path, b"".join(kept))
                    removed.extend(old)
        except OSError as exc:
            raise StorageError(f"cannot prune telemetry in {self.directory}: {exc.strerror or exc}") from None
        finally:
            self._current.clear()
        return removed

    def _replace(self, path: Path, data: bytes) -> None:
        """Atomically make ``data`` the content of ``path`` (delete it if ``data`` is empty)."""
        if not data:
            path.unlink(missing_ok=True)
            return
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def remove_all(self) -> None:
        """Delete every usage file of the directory."""
        for _, _, path in self.files():
            path.unlink(missing_ok=True)
        self._current.clear()
