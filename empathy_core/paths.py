"""Where Empathy keeps its own files, and how it reads and writes files safely.

Nothing is ever written into an analysed repository. Files of an analysed tree are read
only when they resolve inside its root (:func:`resolve_within`); every input file is read
through :func:`read_text_bounded` (regular files only, a size limit, UTF-8); every output
file is written through :func:`write_atomically` (regular files only, never half-written).
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from empathy_core.errors import EmpathyError

T = TypeVar("T")

_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}\Z")
KiB = 1024
MiB = 1024 * KiB
_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISREG, "a regular file"),
)


class PathError(EmpathyError):
    """A path or file cannot be used safely (exit code 2); the message names it.

    Raised before anything was read from it or written to it.
    """

    exit_code = 2


class SkippedFileWarning(UserWarning):
    """A file of an analysed tree was left out: outside its root, not regular, too large, not UTF-8."""


def cache_dir() -> Path:
    """``$EMPATHY_CACHE_DIR``, else ``$XDG_CACHE_HOME/empathy``, else ``~/.cache/empathy``.

    The directory is created on first use.
    """
    env = os.environ.get("EMPATHY_CACHE_DIR")
    if env:
        path = Path(os.path.expanduser(env))
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        path = Path(base) / "empathy"
    path.mkdir(parents=True, exist_ok=True)
    return path


def user_config_path() -> Path:
    """``$XDG_CONFIG_HOME/empathy/config.yml`` (default ``~/.config/empathy/config.yml``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "empathy" / "config.yml"


def safe_identifier(value: str, *, what: str = "identifier") -> str:
    """Return ``value`` if it is safe to use as a file or key name, else raise ``ValueError``.

    Identifiers from users (user ids, agent ids, workflow names) go through this before
    they become part of a path: letters, digits, ``_ . -``, at most 128 characters,
    not starting with a dot or dash.
    """
    if not isinstance(value, str) or not _SAFE_ID.match(value):
        raise ValueError(f"invalid {what} {value!r}: use letters, digits, '_', '.', '-' (max 128 characters)")
    return value


def file_kind(mode: int) -> str:
    """What an ``st_mode`` is, for messages: ``"a symbolic link"``, ``"a FIFO (named pipe)"`` ..."""
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def format_size(size: int) -> str:
    """``size`` bytes for messages: ``"256 MiB"``, ``"64 KiB"``, ``"2,097,153 bytes (2.0 MiB)"``.

    Sizes that are not a whole number of KiB keep every byte, so a size just over a limit
    never reads like the limit itself.
    """
    for unit, name in ((MiB, "MiB"), (KiB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    if size >= MiB:
        return f"{size:,} bytes ({size / MiB:.1f} MiB)"
    return f"{size:,} bytes"


def resolve_within(
    root: str | os.PathLike[str],
    path: str | os.PathLike[str],
    *,
    what: str = "path",
    within: str = "root",
) -> Path:
    """The real path of ``path`` (taken relative to ``root`` unless absolute), if it is inside ``root``.

    Symbolic links are followed, in ``path`` and in ``root``; the file need not exist. A
    result outside the real ``root`` (``..``, an absolute path, a symlink pointing out) or
    a path that cannot be resolved (a symlink loop) is a :class:`PathError` (exit code 2)
    naming ``path`` and ``root``: "{what} 'p.py' is outside the {within} 'src': ...".
    """
    try:
        base = Path(root).resolve()
        lexical = Path(os.path.normpath(base / path))
        target = lexical.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
        raise PathError(f"{what} {str(path)!r} under {str(root)!r} cannot be resolved: {exc}") from None
    if not target.is_relative_to(base):
        how = "through a symbolic link " if lexical.is_relative_to(base) else ""
        raise PathError(
            f"{what} {str(path)!r} is outside the {within} {str(root)!r}: it resolves {how}to {target}"
        )
    return target


def read_bytes_bounded(path: str | os.PathLike[str], *, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them.

    A missing file, anything but a regular file (checked before it is opened, and again on
    the open descriptor: ``/dev/zero``, FIFOs and directories are never read), or a file
    longer than ``limit`` bytes (at most ``limit + 1`` bytes are ever read) is a
    :class:`PathError` (exit code 2) "{what} {path}: ...". Symlinks are followed.
    """
    name = os.fspath(path)
    try:
        info = os.stat(name)
        _check_readable(name, info, limit, what)
        # O_NONBLOCK: opening a FIFO swapped in since the stat must not wait for a writer.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(name, flags | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(fd, "rb") as handle:
            _check_readable(name, os.fstat(handle.fileno()), limit, what)
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise PathError(f"{what} {name}: no such file") from None
    except OSError as exc:
        raise PathError(f"{what} {name}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise PathError(f"{what} {name}: larger than the {format_size(limit)} limit")
    return data


def read_text_bounded(path: str | os.PathLike[str], *, limit: int, what: str = "file") -> str:
    """The UTF-8 text of the regular file ``path`` (at most ``limit`` bytes): see :func:`read_bytes_bounded`.

    Bytes that are not UTF-8 are a :class:`PathError` "{what} {path}: not UTF-8 text ...".
    """
    data = read_bytes_bounded(path, limit=limit, what=what)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PathError(
            f"{what} {os.fspath(path)}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None


def _check_readable(name: str, info: os.stat_result, limit: int, what: str) -> None:
    if not stat.S_ISREG(info.st_mode):
        kind = file_kind(info.st_mode)
        raise PathError(f"{what} {name}: is {kind}, not a regular file; refusing to read it")
    if info.st_size > limit:
        raise PathError(
            f"{what} {name}: {format_size(info.st_size)}, larger than the {format_size(limit)} limit"
        )


def write_atomically(path: Path, write: Callable[[IO[str]], T], *, make_parents: bool = False) -> T:
    """Call ``write(handle)`` on a temporary text file next to ``path``, then move it into place.

    Readers see the old file or the whole new one, never half of it. Returns what
    ``write`` returns. Only regular files are replaced: when ``path`` is a symbolic link,
    FIFO, device, socket or directory, a :class:`PathError` says so before anything is
    created and the destination is left untouched (checked again just before the move).
    An ``OSError`` becomes one :class:`EmpathyError` naming ``path``; the temporary file
    (created exclusively, never through a symlink) is removed on any failure.
    """
    _check_destination(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    created = False
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(tmp, flags | getattr(os, "O_CLOEXEC", 0), 0o666)
        created = True
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            result = write(handle)
        _check_destination(path)
        os.replace(tmp, path)
    except OSError as exc:
        if created:
            _discard(tmp)
        raise EmpathyError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        if created:
            _discard(tmp)
        raise
    return result


def _check_destination(path: Path) -> None:
    """Refuse to replace anything but a regular file (a missing destination is fine)."""
    try:
        info = os.lstat(path)
    except OSError:  # missing, or a parent is unusable: the write itself reports the latter
        return
    if stat.S_ISREG(info.st_mode):
        return
    kind = file_kind(info.st_mode)
    if stat.S_ISLNK(info.st_mode):
        with contextlib.suppress(OSError):
            kind = f"{kind} (to {os.readlink(path)})"
    raise PathError(f"cannot write {path}: it is {kind}; refusing to replace it")


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):  # e.g. its directory could not be created either
        tmp.unlink(missing_ok=True)
