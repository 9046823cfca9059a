"""Collect the files a review looks at: only regular UTF-8 files under the review root.

Everything collected here is sent to the provider, so nothing outside the review path may
be read: a named file resolving outside it (``..``, an absolute path, a symbolic link
pointing out) is an error; a file found by walking the tree that does so is skipped with
a :class:`~empathy_core.SkippedFileWarning`, as are files that are too large, not
regular or not UTF-8. Symbolic links within the review path are followed.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from empathy_code_review.staged import InputError
from empathy_core import PathError, SkippedFileWarning, read_text_bounded, resolve_within

SKIP_DIRS = frozenset({".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "build", "dist"})
MAX_FILE_BYTES = 200_000  # per file: every byte collected is sent to the provider


@attrs.frozen
class SourceFile:
    """One file to review: path relative to the root, and its text."""

    path: str
    text: str


def line_count(text: str) -> int:
    """Lines of ``text`` (a last line without a newline counts)."""
    return text.count("\n") + (0 if text.endswith("\n") or not text else 1)


class ReviewInputError(InputError):
    """The review input names a path that does not exist or has nothing to review (exit 2)."""


def collect_sources(
    root: str, files: Iterable[str] = (), limit: int = 50, *, required: bool = True
) -> list[SourceFile]:
    """``files`` under ``root`` (or every ``*.py`` below it), at most ``limit`` files.

    ``files`` must be a list of paths relative to ``root``. A named file that is outside
    ``root``, missing, not a regular file, larger than ``MAX_FILE_BYTES`` or not UTF-8 is a
    :class:`ReviewInputError` (exit code 2). When walking the tree, such files are skipped
    with a :class:`SkippedFileWarning` saying why, and ``SKIP_DIRS`` and symlinked
    directories are not entered. Finding no file is an error unless ``required`` is false.
    """
    if not isinstance(root, str):
        raise ReviewInputError(f"path must be a directory path, got {_kind(root)}")
    names = _names(files)
    base = Path(root).resolve()
    if not base.is_dir():
        raise ReviewInputError(f"review path {root!r} is not a directory")
    if names:
        sources = [_named(root, base, name) for name in names[:limit]]
    else:
        sources = []
        for rel in _walk(base):
            source = _walked(root, base, rel)
            if source is not None:
                sources.append(source)
                if len(sources) == limit:
                    break
    if not sources and required:
        raise ReviewInputError(f"no Python files to review under {root!r}")
    return sources


def _kind(value: Any) -> str:
    return "a string" if isinstance(value, str) else f"{type(value).__name__} {value!r:.40}"


def _names(files: Iterable[str]) -> list[str]:
    """``files`` as a list of strings; a single string (iterated, it would be letters) is an error."""
    if isinstance(files, str):
        raise ReviewInputError(f"files must be a list of paths, got a string: write [{files!r:.60}]")
    if not isinstance(files, list | tuple):
        raise ReviewInputError(f"files must be a list of paths, got {_kind(files)}")
    for name in files:
        if not isinstance(name, str) or not name:
            raise ReviewInputError(f"files must be a list of paths, got an entry that is {_kind(name)}")
    return list(files)


def _named(root: str, base: Path, name: str) -> SourceFile:
    """A file the user named: every problem is an error."""
    try:
        path = resolve_within(root, name, what="file", within="review path")
    except PathError as exc:
        raise ReviewInputError(exc.message) from None
    if not path.exists():
        raise ReviewInputError(f"file {name!r} does not exist under {root!r}")
    try:
        text = read_text_bounded(path, limit=MAX_FILE_BYTES, what="file")
    except PathError as exc:
        raise ReviewInputError(exc.message) from None
    lexical = Path(os.path.normpath(base / name))
    rel = lexical.relative_to(base) if lexical.is_relative_to(base) else path.relative_to(base)
    return SourceFile(rel.as_posix(), text)


def _walked(root: str, base: Path, rel: str) -> SourceFile | None:
    """A file found by walking the tree, or ``None`` (with a warning) when it cannot be reviewed."""
    try:
        path = resolve_within(root, rel, what="file", within="review path")
        text = read_text_bounded(path, limit=MAX_FILE_BYTES, what="file")
    except PathError as exc:
        warnings.warn(f"code-review: skipped {exc.message}", SkippedFileWarning, stacklevel=3)
        return None
    return SourceFile(rel, text)


def _walk(base: Path) -> list[str]:
    """POSIX paths (relative to ``base``) of every ``*.py`` outside ``SKIP_DIRS``, sorted.

    Symbolic links to directories are not entered (their files are reached directly when
    they are within the root); symbolic links to files are listed, and checked by the caller.
    """
    found = []
    for directory, dirs, names in os.walk(base, followlinks=False):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        rel_dir = Path(directory).relative_to(base)
        found += [(rel_dir / n).as_posix() for n in names if n.endswith(".py")]
    return sorted(found, key=lambda rel: rel.split("/"))
