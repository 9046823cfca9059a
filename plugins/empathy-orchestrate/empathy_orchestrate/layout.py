"""Find the Python files of a repository as it is laid out, and nothing else.

Packages, ``src`` layouts, flat layouts and several projects in one tree (plugins) all
work: a file's import root is the directory above its outermost package (the directory
holding it when it is a plain script). Virtualenvs (any directory with ``pyvenv.cfg``),
VCS and tool caches, build output, ``site-packages``, ``node_modules`` and template
directories (names containing ``{{``) are skipped. Only ``stat`` is called here: content
hashes come from :mod:`empathy_orchestrate.fingerprint`.

Files are analysed only when they are regular files inside the root of at most
:data:`MAX_FILE_BYTES`: a symbolic link resolving outside the root, a FIFO or device named
``*.py``, or an over-large file is left out with a
:class:`~empathy_core.paths.SkippedFileWarning` and listed in :attr:`Repository.skipped`.
Symbolic links to directories are never entered; symbolic links to files within the root
are analysed like the files they point to.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path

import attrs

from empathy_core import MiB, PathError, SkippedFileWarning, file_kind, format_size, resolve_within
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

# Per file (source or configuration): larger files are generated or data, not code to review,
# and reading them whole for hashing and parsing would cost memory for nothing.
MAX_FILE_BYTES = 2 * MiB

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
    """The analysed tree: its Python files and configuration files, sorted by path.

    ``skipped`` maps the relative path of every file left out to the reason, said plainly.
    """

    root: Path
    files: list[SourceFile]
    configs: list[ConfigFile]
    skipped: dict[str, str] = attrs.field(factory=dict)

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


def _refusal(root: Path, entry: os.DirEntry[str], rel: str) -> str | None:
    """Why the file ``entry`` must not be analysed, or ``None`` when it may be.

    Outside ``root`` (through a symbolic link), not a regular file, or over ``MAX_FILE_BYTES``.
    """
    if entry.is_symlink():
        try:
            resolve_within(root, rel, what="file", within="repository")
        except PathError as exc:
            return exc.message
    try:
        st = entry.stat()
    except OSError as exc:  # a dangling symlink, or removed since the directory was listed
        return f"file {rel!r}: cannot read it: {exc.strerror or exc}"
    if not stat.S_ISREG(st.st_mode):
        return f"file {rel!r} is {file_kind(st.st_mode)}, not a regular file"
    if st.st_size > MAX_FILE_BYTES:
        return (
            f"file {rel!r} is {format_size(st.st_size)}, larger than the "
            f"{format_size(MAX_FILE_BYTES)} limit for one file"
        )
    return None


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
    A file refused by the rules of this module is left out with a warning and recorded
    in :attr:`Repository.skipped`.
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
    skipped: dict[str, str] = {}
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
                continue
            if not (entry.name.endswith(".py") or entry.name in CONFIG_FILES):
                continue
            reason = _refusal(root, entry, rel)
            if reason is not None:
                skipped[rel] = reason
                warnings.warn(f"health-check: skipped {reason}", SkippedFileWarning, stacklevel=2)
            elif entry.name.endswith(".py"):
                if entry.name == "__init__.py":
                    package_dirs.add(rel_dir)
                python.append((rel, entry.path, _stat(entry)))
            else:
                configs.append(ConfigFile(rel, entry.path, _stat(entry)))
    if not python:
        raise RepositoryError(
            f"no Python files found under {root} (virtualenvs, .git, build and cache directories are skipped)"
        )
    files = [_source_file(rel, abspath, stat, package_dirs) for rel, abspath, stat in python]
    files.sort(key=lambda f: f.rel)
    configs.sort(key=lambda c: c.rel)
    return Repository(root=root, files=files, configs=configs, skipped=dict(sorted(skipped.items())))


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
