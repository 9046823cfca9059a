"""A user's collaboration state (trust, interactions, trust changes) and its versioned JSON file.

The file is ``{"format": "empathy-os-state", "version": 1, "user_id": ..., "saved_at": ...,
"state": {...}}``, written atomically through cattrs. Loading refuses a file that is not
JSON, not ours, from a newer version, of another user or with a malformed state, with one
:class:`StateFileError` naming the file; the state in memory is untouched then.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import attrs

from empathy_core import (
    EmpathyError,
    MiB,
    check_fraction,
    check_level,
    check_name,
    check_payload,
    from_dict,
    read_text_bounded,
    to_dict,
    utcnow,
    write_atomically,
)

STATE_FORMAT = "empathy-os-state"
STATE_VERSION = 1
"""The state file version this code writes and the newest it reads."""
MAX_USER_ID = 64
"""Characters of a user id (it becomes part of file names and store namespaces)."""
MAX_STATE_BYTES = 16 * MiB
MAX_TEXT = 100_000
"""Characters of one user input."""

Outcome = Literal["success", "failure"]


class StateFileError(EmpathyError):
    """A state file that cannot be loaded (corrupt, foreign, newer, another user's); exit code 2."""

    exit_code = 2


def check_user_id(value: Any, what: str = "user_id") -> str:
    """``value`` as a user id: letters, digits, ``_ . -``, 1 to 64 characters, else ``ValueError``."""
    user_id = check_name(value, what)
    if len(user_id) > MAX_USER_ID:
        raise ValueError(f"invalid {what} {value!r}: at most {MAX_USER_ID} characters")
    return user_id


def check_input(value: Any, what: str = "user_input") -> str:
    """``value`` as user text (a string of at most :data:`MAX_TEXT` characters), else ``ValueError``."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if len(value) > MAX_TEXT:
        raise ValueError(f"{what} is {len(value):,} characters (at most {MAX_TEXT:,})")
    return value


def _level(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    check_level(value, attribute.name)


def _fraction(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    check_fraction(value, attribute.name)


@attrs.define
class Interaction:
    """One answered turn: what was asked, at which level, what came back, and how it went."""

    user_input: str
    level: int = attrs.field(default=1, validator=_level)
    response: str = ""
    confidence: float = attrs.field(default=0.5, validator=_fraction)
    handler: str = ""
    context: dict[str, Any] = attrs.Factory(dict)
    at: datetime = attrs.Factory(utcnow)
    outcome: Outcome | None = None


@attrs.frozen
class TrustEvent:
    """One trust change: the outcome recorded and the trust after it."""

    outcome: Outcome
    trust: float = attrs.field(validator=_fraction)
    delta: float = 0.0
    at: datetime = attrs.Factory(utcnow)


@attrs.define
class CollaborationState:
    """Trust (0..1) and the recent history of one user's collaboration."""

    user_id: str = attrs.field(validator=lambda _, a, v: check_user_id(v, a.name))
    trust: float = attrs.field(default=0.0, validator=_fraction)
    successes: int = 0
    failures: int = 0
    interactions: list[Interaction] = attrs.Factory(list)
    trust_history: list[TrustEvent] = attrs.Factory(list)
    created_at: datetime = attrs.Factory(utcnow)
    updated_at: datetime = attrs.Factory(utcnow)

    def record(self, outcome: Outcome, rate: float, limit: int) -> TrustEvent:
        """Move trust by ``+rate`` (success) or ``-rate`` (failure), clamped to [0, 1];
        the latest unjudged interaction gets the outcome."""
        before = self.trust
        signed = rate if outcome == "success" else -rate
        self.trust = min(1.0, max(0.0, before + signed))
        if outcome == "success":
            self.successes += 1
        else:
            self.failures += 1
        if self.interactions and self.interactions[-1].outcome is None:
            self.interactions[-1].outcome = outcome
        event = TrustEvent(outcome=outcome, trust=self.trust, delta=self.trust - before)
        self.trust_history = [*self.trust_history, event][-limit:]
        self.updated_at = event.at
        return event

    def add(self, interaction: Interaction, limit: int) -> None:
        self.interactions = [*self.interactions, interaction][-limit:]
        self.updated_at = interaction.at


@attrs.frozen
class StateFile:
    """What a state file holds."""

    format: str
    version: int
    user_id: str
    saved_at: datetime
    state: CollaborationState


def write_state(path: str | Path, state: CollaborationState) -> Path:
    """Write ``state`` to ``path`` atomically (parents created); returns the path."""
    path = Path(path)
    document = to_dict(StateFile(STATE_FORMAT, STATE_VERSION, state.user_id, utcnow(), state))
    write_atomically(path, lambda handle: json.dump(document, handle, indent=2), make_parents=True)
    return path


def read_state(path: str | Path, user_id: str) -> CollaborationState:
    """The state of ``user_id`` in ``path``; :class:`StateFileError` naming the file otherwise."""
    path = Path(path)
    text = _read(path)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StateFileError(f"state file {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict) or document.get("format") != STATE_FORMAT:
        raise StateFileError(
            f'state file {path}: not an EmpathyOS state file (no "format": "{STATE_FORMAT}")'
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise StateFileError(f"state file {path}: invalid version {version!r}")
    if version > STATE_VERSION:
        raise StateFileError(
            f"state file {path}: version {version} is newer than this empathy-os reads "
            f"(up to {STATE_VERSION}); upgrade empathy-os"
        )
    if document.get("user_id") != user_id:
        raise StateFileError(
            f"state file {path}: holds the state of user {document.get('user_id')!r}, not {user_id!r}"
        )
    try:
        check_payload(document, f"state file {path}")
        loaded = from_dict(StateFile, document)
    except Exception as exc:
        raise StateFileError(f"state file {path}: malformed state ({_first_line(exc)})") from None
    if loaded.state.user_id != user_id:
        raise StateFileError(
            f"state file {path}: its state belongs to {loaded.state.user_id!r}, not {user_id!r}"
        )
    return loaded.state


def _read(path: Path) -> str:
    try:
        return read_text_bounded(path, limit=MAX_STATE_BYTES, what="state file")
    except FileNotFoundError:
        raise StateFileError(f"state file {path}: no such file") from None
    except EmpathyError as exc:
        raise StateFileError(str(exc)) from None
    except OSError as exc:
        raise StateFileError(f"state file {path}: {exc.strerror or exc}") from None


def _first_line(exc: BaseException) -> str:
    leaves = getattr(exc, "exceptions", None)
    while leaves:
        exc = leaves[0]
        leaves = getattr(exc, "exceptions", None)
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
