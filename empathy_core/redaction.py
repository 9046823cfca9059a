"""Secrets by value: what must never leave the process, and short quotes of bad values.

A secret is the resolved provider key (:func:`add_secret`) or the value of any environment
variable whose name looks like a secret (``*_API_KEY``, ``*TOKEN*``, ``*SECRET*``,
``*PASSWORD*``). :func:`redact` replaces every secret found in a text, wherever it was
placed (a misplaced ``${ANTHROPIC_API_KEY}`` in another config field included);
:func:`scrubbed_environ` is the environment for a subprocess that must not see them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "***"
SECRET_NAME = re.compile(r"(api_?key|token|secret|password|passwd|credential)", re.IGNORECASE)
_MIN_SECRET = 8
_added: set[str] = set()


def add_secret(value: str | None) -> None:
    """Treat ``value`` as a secret from now on (ignored when shorter than 8 characters)."""
    if value and len(value) >= _MIN_SECRET:
        _added.add(value)


def secrets(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every known secret value, longest first (so a key containing another is masked whole)."""
    environ = os.environ if environ is None else environ
    found = set(_added)
    found.update(v for k, v in environ.items() if SECRET_NAME.search(k) and len(v) >= _MIN_SECRET)
    return sorted(found, key=len, reverse=True)


def redact(text: str) -> str:
    """``text`` with every secret value replaced by ``***``."""
    for value in secrets():
        if value in text:
            text = text.replace(value, REDACTED)
    return text


def redact_data(data: Any) -> Any:
    """A copy of plain data (dicts, lists, strings) with every secret value redacted."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {k: redact_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact_data(v) for v in data]
    return data


def scrubbed_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """``os.environ`` without secret-named variables or secret values, plus ``extra``."""
    values = set(secrets())
    env = {k: v for k, v in os.environ.items() if not SECRET_NAME.search(k) and v not in values}
    return {**env, **(extra or {})}


def shorten(value: Any, limit: int = 60) -> str:
    """``repr(value)`` redacted and cut to ``limit`` characters, saying how long it was."""
    text = redact(repr(value))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text)} characters)"
