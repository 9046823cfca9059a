"""Content hashes of files, read only when ``stat`` says a file may have changed.

A file whose ``(mtime_ns, size, inode)`` equals the one recorded with its hash in the
previous snapshot keeps that hash without being read. Like git's "racily clean" rule, a
file modified less than :data:`RACY_WINDOW_NS` before the previous snapshot was taken is
re-hashed anyway: a same-size edit within the file system's timestamp granularity cannot
slip through. Everything else is hashed (BLAKE2b, 128 bits) from its bytes, read with
:func:`~empathy_core.paths.read_bytes_bounded`: a file that became too large, or was
replaced by a FIFO or device since the scan, is left out (with a warning), never read whole.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from empathy_core import PathError, SkippedFileWarning, read_bytes_bounded
from empathy_orchestrate.layout import MAX_FILE_BYTES

RACY_WINDOW_NS = 2_000_000_000

Snapshot = dict[str, list[Any]]  # rel -> [mtime_ns, size, inode, hex digest, lines]


def read_digest(path: str, *, limit: int = MAX_FILE_BYTES) -> tuple[str, int]:
    """BLAKE2b-128 hex digest of the file's bytes and its number of lines.

    :class:`~empathy_core.paths.PathError` when ``path`` is missing, not a regular file or
    longer than ``limit`` bytes (at most ``limit + 1`` bytes are read).
    """
    data = read_bytes_bounded(path, limit=limit, what="file")
    lines = data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    return hashlib.blake2b(data, digest_size=16).hexdigest(), lines


def hash_files(
    files: Iterable[Any],
    previous: Mapping[str, Any],
    previous_taken_ns: int,
) -> tuple[Snapshot, list[str]]:
    """Hash ``files`` (objects with ``rel``, ``path``, ``stat``) using ``previous``.

    Returns ``(snapshot, read)``: the new snapshot (rel -> ``[mtime_ns, size, inode,
    digest, lines]``) and the rel paths whose bytes were read. Malformed entries of
    ``previous`` are ignored; a file that cannot be read is left out.
    """
    snapshot: Snapshot = {}
    read: list[str] = []
    racy_after = previous_taken_ns - RACY_WINDOW_NS
    for file in files:
        mtime, size, inode = file.stat
        entry = previous.get(file.rel)
        if (
            isinstance(entry, list)
            and len(entry) == 5
            and entry[0] == mtime
            and entry[1] == size
            and entry[2] == inode
            and isinstance(entry[3], str)
            and isinstance(entry[4], int)
            and mtime < racy_after
        ):
            snapshot[file.rel] = entry
        else:
            try:
                snapshot[file.rel] = [mtime, size, inode, *read_digest(file.path)]
            except PathError as exc:  # removed or changed since the scan: not part of this run
                if os.path.lexists(file.path):
                    warnings.warn(f"health-check: skipped {exc.message}", SkippedFileWarning, stacklevel=2)
                continue
            read.append(file.rel)
    return snapshot, read


def combine(parts: Iterable[str]) -> str:
    """One digest for an ordered sequence of strings (keys, hashes)."""
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()
