"""What may leave the server: payloads with secrets, prompts and user ids taken out.

Heartbeat metadata, event data and approval contexts are free-form JSON written by any
agent, so everything the dashboard shows from them passes :func:`scrub` first; every
answer as a whole then passes :func:`as_json`, which masks known secret values (API keys
from the environment) wherever they appear.
"""

from __future__ import annotations

import json
import re
from typing import Any

from empathy_core import redact

HIDDEN = "(hidden)"
SECRET_KEY = re.compile(
    r"api[_-]?key|secret|token|passw|authori[sz]ation|credential|cookie|prompt|messages|system", re.I
)
"""Keys whose values are never shown: credentials and the text sent to a model."""
USER_KEY = re.compile(r"^(user|user[_-]?id|user[_-]?name|username|email|e-mail)$", re.I)
"""Keys naming a person: omitted, never shown raw."""
MAX_DEPTH = 20


def scrub(data: Any, depth: int = 0) -> Any:
    """A copy of plain JSON data with the values under secret, prompt and user-id keys
    replaced by ``(hidden)``."""
    if depth > MAX_DEPTH:
        return HIDDEN
    if isinstance(data, dict):
        return {str(k): HIDDEN if hidden_key(str(k)) else scrub(v, depth + 1) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [scrub(value, depth + 1) for value in data]
    return data


def as_json(data: Any) -> str:
    """``data`` as JSON text with every known secret value replaced by ``***`` (one pass
    over the whole answer)."""
    return redact(json.dumps(data, default=str))


def hidden_key(key: str) -> bool:
    """Whether the value under ``key`` is never shown."""
    return bool(SECRET_KEY.search(key) or USER_KEY.match(key))
