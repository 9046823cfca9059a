"""The EmpathyOS contracts: the five levels, how trust picks one, and what a level handler returns.

``EmpathyOS`` itself (trust bookkeeping, state files, memory, the shared pattern library)
is the ``empathy-os`` plugin; the handlers of each level come from plugins through
``empathy_register_level_handlers`` (``empathy-levels`` ships the default ones). What
both sides agree on lives here, so a third party can write a handler for any level
without depending on our implementation of it.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Protocol

import attrs

from empathy_core.coordination import check_fraction

LEVEL_NAMES: dict[int, str] = {
    1: "reactive",
    2: "guided",
    3: "proactive",
    4: "anticipatory",
    5: "systems",
}
"""Level number -> name: 1 Reactive, 2 Guided, 3 Proactive, 4 Anticipatory, 5 Systems."""

LEVEL_BAND = 0.2
"""Each level covers a fifth of trust: 1 is ``[0, 0.2)``, 2 ``[0.2, 0.4)``, ... 5 ``[0.8, 1]``."""


def check_level(value: Any, what: str = "level") -> int:
    """``value`` as a level 1..5, else ``ValueError`` naming ``what`` and the value."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in LEVEL_NAMES:
        raise ValueError(f"{what} must be a whole number from 1 to 5, got {value!r}")
    return value


def level_for_trust(trust: float, target_level: int = 5) -> int:
    """The level trust ``trust`` (0..1) earns, never above ``target_level``.

    Boundaries belong to the upper level: trust 0.2 is level 2, 0.8 is level 5. The
    comparison tolerates float noise (ten successes of +0.05 give 0.5000000000000001).
    """
    trust = check_fraction(trust, "trust")
    earned = min(5, 1 + int(round(trust / LEVEL_BAND, 9)))
    return min(earned, check_level(target_level, "target_level"))


@attrs.frozen
class EmpathyResponse:
    """What one interaction (or one level handler) answers.

    ``response`` is the text for the user; ``level`` the level that produced it;
    ``confidence`` (0..1) how sure the handler is; ``predictions`` anticipated problems
    (level 4 and up, only those at or above the confidence threshold); ``suggestions``
    proactive advice (level 3 and up); ``questions`` clarifying questions (level 2);
    ``handler`` the registered handler name; ``metadata`` JSON-safe details a handler
    wants to show (patterns used, predictions withheld, workflow changes proposed...).
    """

    response: str
    level: int = attrs.field(validator=lambda _, __, value: check_level(value))
    confidence: float = attrs.field(default=0.5, validator=lambda _, a, value: check_fraction(value, a.name))
    predictions: list[str] = attrs.Factory(list)
    suggestions: list[str] = attrs.Factory(list)
    questions: list[str] = attrs.Factory(list)
    handler: str = ""
    metadata: dict[str, Any] = attrs.Factory(dict)

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES[self.level]


class LevelHandler(Protocol):
    """What ``register(level, name, handler)`` of ``empathy_register_level_handlers`` takes.

    ``handler(os, user_input, context)`` gets the calling ``EmpathyOS`` (its trust,
    history, memory, pattern library and ``await os.complete(...)``, the one way to call
    the LLM so that every call is priced and in telemetry), the user's text and the
    context mapping. It returns an :class:`EmpathyResponse`, or an awaitable of one
    (``async def`` handlers are the usual kind).
    """

    def __call__(
        self, os: Any, user_input: str, context: dict[str, Any]
    ) -> EmpathyResponse | Awaitable[EmpathyResponse]: ...
