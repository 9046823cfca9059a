"""On-disk index of installed plugins, their commands and workflows.

``empathy --help`` and ``empathy workflow list`` answer from this index without importing
any plugin module. The index is valid while its fingerprint holds: the interpreter, the
mtime of every ``sys.path`` directory (installing or removing a distribution changes its
site-packages directory), the mtime of every plugin module file it was built from, the
config file's identity and the plugin environment variables. This module imports only
the standard library.
"""

from __future__ import annotations

import marshal
import os
import sys
from typing import Any

INDEX_VERSION = 1
_ENV_KEYS = ("EMPATHY_DISABLE_PLUGINS", "EMPATHY_STRICT_PLUGINS", "EMPATHY_CONFIG")


def _cache_dir() -> str:
    """Same rule as ``empathy_core.paths.cache_dir`` without importing pathlib."""
    env = os.environ.get("EMPATHY_CACHE_DIR")
    if env:
        return os.path.expanduser(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "empathy")


def index_path() -> str:
    """One index file per Python environment."""
    env_id = 2166136261
    for byte in sys.prefix.encode():  # FNV-1a: stable across runs, no hashlib import
        env_id = ((env_id ^ byte) * 16777619) & 0xFFFFFFFF
    return os.path.join(_cache_dir(), f"index-{env_id:08x}-py{sys.hexversion:x}.marshal")


def _mtime(path: str) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return -1


def _config_identity(config_path: str | None) -> list[Any]:
    candidates = [config_path, os.environ.get("EMPATHY_CONFIG"), "empathy.config.yml"]
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    candidates.append(os.path.join(base, "empathy", "config.yml"))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate):
            st = os.stat(candidate)
            return [os.path.abspath(candidate), st.st_mtime_ns, st.st_size]
    return []


def fingerprint(config_path: str | None, no_plugins: bool) -> dict[str, Any]:
    """What the index depends on, except module files (checked separately)."""
    return {
        "version": INDEX_VERSION,
        "python": [sys.prefix, sys.hexversion],
        "paths": [[p, _mtime(p)] for p in sys.path if p and os.path.isdir(p)],
        "config": _config_identity(config_path),
        "env": [os.environ.get(k, "") for k in _ENV_KEYS],
        "no_plugins": no_plugins,
    }


def load(config_path: str | None, no_plugins: bool) -> dict[str, Any] | None:
    """The index if it is still valid, else ``None`` (also for a corrupt file)."""
    try:
        with open(index_path(), "rb") as fh:
            # Our own cache file in the user's cache directory, written by save() below;
            # a corrupt file raises and is rebuilt.
            data = marshal.load(fh)  # nosec B302
    except (OSError, ValueError, EOFError, TypeError):
        return None
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint(config_path, no_plugins):
        return None
    files, mtimes = data.get("files", []), data.get("mtimes", [])
    if len(files) != len(mtimes) or any(_mtime(f) != m for f, m in zip(files, mtimes, strict=True)):
        return None
    return data


def save(data: dict[str, Any], config_path: str | None, no_plugins: bool) -> None:
    """Write the index atomically; failure to write only costs speed."""
    data = {**data, "fingerprint": fingerprint(config_path, no_plugins)}
    data["mtimes"] = [_mtime(f) for f in data.get("files", [])]
    path = index_path()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "wb") as fh:
            marshal.dump(data, fh)
        os.replace(tmp, path)
    except OSError:
        return


def failure_messages(data: dict[str, Any]) -> list[str]:
    """One message per plugin the index records as failed."""
    return [
        f"plugin {p['name']!r} ({p.get('dist')} {p.get('version')}) failed: {p.get('error')}"
        for p in data.get("plugins", [])
        if p.get("status") == "failed"
    ]


def strict_from_env() -> bool:
    """``EMPATHY_STRICT_PLUGINS`` set to a true value."""
    return os.environ.get("EMPATHY_STRICT_PLUGINS", "").strip().lower() in {"1", "true", "yes", "on"}


def terminal_width() -> int:
    """The terminal's width (80 when stdout is not a terminal)."""
    try:
        return os.get_terminal_size(sys.stdout.fileno()).columns
    except (OSError, ValueError):
        return 80
