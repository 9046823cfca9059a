"""Find the Python files of a repository as it is laid out, and nothing else.

Packages, ``src`` layouts, flat layouts and several projects in one tree (plugins) all
work: a file's import root is the directory above its outermost package (the directory
holding it when it is a plain script). Virtualenvs (any directory with ``pyvenv.cfg``),
VCS and tool caches, build output, ``site-packages``, ``node_modules`` and template
directories (names containing ``{{``) are skipped. Only ``stat`` is called here: content
hashes come from :mod:`empathy_orchestrate.fingerprint`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import attrs

from empathy_orchestrate.errors import RepositoryError

SKIP_DIRS = frozenset(
    {
        "__pycache__",
        "node_modules",
        "build",
        "dist",
        "site-packages",
        "venv",
        "env",
        "htmlcov",
        "__pypackages__",
    }
)
TEST_DIRS = frozenset({"tests", "test"})
CONFIG_FILES = frozenset(
    {
        "pyproject.toml",
        "setup.cfg",
        "tox.ini",
        "pytest.ini",
        "ruff.toml",
        ".ruff.toml",
        "mypy.ini",
        ".mypy.ini",
        ".bandit",
        ".coveragerc",
    }
)

Stat = tuple[int, int, int]


@attrs.frozen
class SourceFile:
    """One Python file. ``rel`` is POSIX and relative to the repository root.

    ``kind`` is ``"test"`` (under a ``tests``/``test`` directory, ``test_*.py``,
    ``*_test.py``, ``conftest.py``) or ``"source"``. ``module`` is its dotted import name
    from ``root`` (the import root, relative, ``""`` for the repository root).
    """

    rel: str
    path: str
    kind: str
    module: str
    root: str
    stat: Stat


@attrs.frozen
class ConfigFile:
    """A tool configuration file (``pyproject.toml``, ``setup.cfg``, ``.coveragerc`` ...)."""

    rel: str
    path: str
    stat: Stat


@attrs.define
class Repository:
    """The analysed tree: its Python files and configuration files, sorted by path."""

    root: Path
    files: list[SourceFile]
    configs: list[ConfigFile]

    @property
    def key(self) -> str:
        """A stable name for this repository's cache entries (see :func:`repository_key`)."""
        return repository_key(self.root)

    def sources(self) -> list[SourceFile]:
        """Files that are not tests."""
        return [f for f in self.files if f.kind == "source"]

    def tests(self) -> list[SourceFile]:
        """Test files and ``conftest.py`` files."""
        return [f for f in self.files if f.kind == "test"]

    def import_roots(self, files: Iterable[SourceFile] | None = None) -> list[str]:
        """Absolute import roots of ``files`` (default all), most specific first."""
        roots = {f.root for f in (self.files if files is None else files)}
        return sorted(
            (str(self.root / r) if r else str(self.root) for r in roots), key=lambda p: (-len(p), p)
        )

    def configs_named(self, names: Iterable[str]) -> list[ConfigFile]:
        """Configuration files whose base name is one of ``names``."""
        wanted = set(names)
        return [c for c in self.configs if c.rel.rsplit("/", 1)[-1] in wanted]


def repository_key(root: Path) -> str:
    """Hash of the resolved repository path: names its cache directory."""
    return hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:16]


def _stat(entry: os.DirEntry[str]) -> Stat:
    st = entry.stat()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def _skip_dir(entry: os.DirEntry[str], excludes: tuple[str, ...], rel: str) -> bool:
    name = entry.name
    if name.startswith(".") or name in SKIP_DIRS or name.endswith(".egg-info") or "{{" in name:
        return True
    if any(fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(name, pattern) for pattern in excludes):
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))


def _is_test(rel: str) -> bool:
    parts = rel.split("/")
    name = parts[-1]
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in TEST_DIRS for part in parts[:-1])


def scan(path: str | os.PathLike[str], *, exclude: Iterable[str] = ()) -> Repository:
    """Walk ``path`` and describe its Python and configuration files.

    Raises :class:`RepositoryError` (exit code 2) when ``path`` does not exist, is not a
    directory or contains no Python file outside the skipped directories.
    ``exclude`` adds glob patterns matched against directory names and relative paths.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise RepositoryError(f"path not found: {path}")
    if not root.is_dir():
        raise RepositoryError(f"not a directory: {path} (give the repository's root directory)")
    root = root.resolve()
    excludes = tuple(exclude)
    python: list[tuple[str, str, Stat]] = []
    configs: list[ConfigFile] = []
    package_dirs: set[str] = set()
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, rel_dir = stack.pop()
        try:
            entries = list(os.scandir(directory))
        except OSError:
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if entry.is_dir(follow_symlinks=False):
                if not _skip_dir(entry, excludes, rel):
                    stack.append((entry.path, rel))
            elif entry.name.endswith(".py"):
                if entry.name == "__init__.py":
                    package_dirs.add(rel_dir)
                if entry.is_file():
                    python.append((rel, entry.path, _stat(entry)))
            elif entry.name in CONFIG_FILES and entry.is_file():
                configs.append(ConfigFile(rel, entry.path, _stat(entry)))
    if not python:
        raise RepositoryError(
            f"no Python files found under {root} (virtualenvs, .git, build and cache directories are skipped)"
        )
    files = [_source_file(rel, abspath, stat, package_dirs) for rel, abspath, stat in python]
    files.sort(key=lambda f: f.rel)
    configs.sort(key=lambda c: c.rel)
    return Repository(root=root, files=files, configs=configs)


def _source_file(rel: str, abspath: str, stat: Stat, package_dirs: set[str]) -> SourceFile:
    parts = rel[:-3].split("/")
    directory = parts[:-1]
    names = [parts[-1]] if parts[-1] != "__init__" else []
    while directory and "/".join(directory) in package_dirs:
        names.insert(0, directory.pop())
    module = ".".join(names) or (directory[-1] if directory else "__init__")
    return SourceFile(
        rel=rel,
        path=abspath,
        kind="test" if _is_test(rel) else "source",
        module=module,
        root="/".join(directory),
        stat=stat,
    )
