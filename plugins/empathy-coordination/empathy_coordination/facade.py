"""What every facade shares: the runtime, its stores by role, and the checks of plain values."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from empathy_core import Empathy, check_name, utcnow

if TYPE_CHECKING:
    from empathy_core import EventStore

DEFAULT_AGENT = "anonymous"
"""The agent id of a facade built without one (a UI, the CLI)."""

MAX_TEXT = 2000
"""Characters of a free-text field (an approval's reason or responder)."""


class Facade:
    """Holds the runtime (``empathy=``, default :meth:`Empathy.current`) and opens stores on use."""

    def __init__(self, empathy: Empathy | None = None) -> None:
        self.empathy = empathy if empathy is not None else Empathy.current()

    def store(self, role: str) -> Any:
        """The runtime's store for ``role`` (opened once per runtime)."""
        return self.empathy.open_backend(role)

    @property
    def events(self) -> EventStore:
        store: EventStore = self.store("events")
        return store

    def publish(self, event_type: str, data: dict[str, Any]) -> str:
        """Publish an event whose type and data are already checked; returns its id."""
        return self.events.publish_event(event_type, data, utcnow()).event_id


def check_agent(agent_id: str | None, what: str = "agent_id") -> str:
    """``agent_id`` checked, :data:`DEFAULT_AGENT` for ``None``."""
    return DEFAULT_AGENT if agent_id is None else check_name(agent_id, what)


def check_optional_name(value: str | None, what: str) -> str | None:
    return None if value is None else check_name(value, what)


def check_count(value: Any, what: str, maximum: int = 100_000) -> int:
    """``value`` as a whole number in 1..``maximum``, else ``ValueError`` naming ``what``."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValueError(f"{what} must be a whole number from 1 to {maximum:,}, got {value!r}")
    return value


def check_text(value: Any, what: str) -> str:
    """``value`` as one line of at most :data:`MAX_TEXT` characters, else ``ValueError``."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT or any(ord(c) < 32 and c != "\t" for c in value):
        raise ValueError(f"{what} must be one line of at most {MAX_TEXT:,} characters")
    return value


def safe_name(text: str, fallback: str = "agent") -> str:
    """``text`` made into a :func:`~empathy_core.check_name`-safe name: other characters
    become ``-``, leading dots and dashes go, at most 128 characters (``fallback`` if empty)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", text).lstrip(".-")[:128].rstrip(".-")
    return name or fallback
