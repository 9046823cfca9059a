"""Where Empathy keeps its own files. Nothing is ever written into an analysed repository."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

from empathy_core.errors import EmpathyError

T = TypeVar("T")

_SAFE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


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


def write_atomically(path: Path, write: Callable[[IO[str]], T], *, make_parents: bool = False) -> T:
    """Call ``write(handle)`` on a temporary text file next to ``path``, then move it into place.

    Readers see the old file or the whole new one, never half of it. Returns what
    ``write`` returns. An ``OSError`` becomes one :class:`EmpathyError` naming ``path``;
    the temporary file is removed on any failure.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        if make_parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            result = write(handle)
        os.replace(tmp, path)
    except OSError as exc:
        _discard(tmp)
        raise EmpathyError(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(tmp)
        raise
    return result


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):  # e.g. its directory could not be created either
        tmp.unlink(missing_ok=True)
