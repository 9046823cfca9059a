"""Collect the files a review looks at, refusing paths outside the review root."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import attrs

from empathy_core.errors import EmpathyError

SKIP_DIRS = frozenset({".git", ".hg", ".venv", "venv", "node_modules", "__pycache__", "build", "dist"})
MAX_FILE_BYTES = 200_000


@attrs.frozen
class SourceFile:
    """One file to review: path relative to the root, and its text."""

    path: str
    text: str


class ReviewInputError(EmpathyError):
    """The review input names a path that does not exist or has nothing to review."""

    exit_code = 2


def collect_sources(root: str, files: Iterable[str] = (), limit: int = 50) -> list[SourceFile]:
    """``files`` under ``root`` (or every ``*.py`` below it), at most ``limit`` files.

    Files larger than ``MAX_FILE_BYTES`` are skipped; a path escaping ``root`` is refused.
    """
    base = Path(root).resolve()
    if not base.is_dir():
        raise ReviewInputError(f"review path {root!r} is not a directory")
    names = list(files)
    if names:
        paths = []
        for name in names:
            path = (base / name).resolve()
            if not path.is_relative_to(base):
                raise ReviewInputError(f"file {name!r} is outside the review path {root!r}")
            if not path.is_file():
                raise ReviewInputError(f"file {name!r} does not exist under {root!r}")
            paths.append(path)
    else:
        paths = sorted(p for p in base.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(base).parts))
    sources = [
        SourceFile(str(p.relative_to(base)), p.read_text(encoding="utf-8", errors="replace"))
        for p in paths[:limit]
        if p.stat().st_size <= MAX_FILE_BYTES
    ]
    if not sources:
        raise ReviewInputError(f"no Python files to review under {root!r}")
    return sources
