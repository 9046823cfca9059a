"""``PatternLibrary``: patterns shared between agents, stored in the ``memory`` backend role,
with access tiers.

Tiers are ordered: Observer reads (list, show, query), Contributor also adds, Validator
also validates, Steward also deletes. A denied action raises :class:`PermissionError`
naming the tier, the action and the tier it needs, before anything is read or written.
Tiers are declared by the caller (cooperating agents, not an authentication scheme).
Patterns live in namespace ``patterns.<library>`` of the configured memory store, one
JSON value per pattern id.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from empathy_core import (
    EmpathyError,
    StorageError,
    check_fraction,
    check_name,
    check_payload,
    from_dict,
    new_id,
    to_dict,
    utcnow,
)
from empathy_os.runtime import Contextual, UsesRuntime

if TYPE_CHECKING:
    from empathy_core import Empathy, MemoryStore

MAX_CONTENT = 10_000
"""Characters of a pattern's content."""
_WORD = re.compile(r"[a-z0-9][a-z0-9_+#-]{2,}")
_STOPWORDS = (
    "the and for with this that from have has are was were you your our can how what why when "
    "who will would should could into about need help want make use using just like some any "
    "not but all its it's does did get got"
)
_STOP = frozenset(_STOPWORDS.split())


class AccessTier(enum.IntEnum):
    """What an agent may do in a shared library; each tier may do what the ones below it may."""

    OBSERVER = 1
    CONTRIBUTOR = 2
    VALIDATOR = 3
    STEWARD = 4

    @classmethod
    def parse(cls, value: AccessTier | str | int) -> AccessTier:
        """A tier, its name (any case) or its number; ``ValueError`` listing the tiers."""
        if isinstance(value, AccessTier):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        if isinstance(value, int) and not isinstance(value, bool) and value in cls._value2member_map_:
            return cls(value)
        names = ", ".join(t.name.lower() for t in cls)
        raise ValueError(f"unknown access tier {value!r} (expected one of: {names})")

    @property
    def label(self) -> str:
        return self.name.lower()


ACTIONS: dict[str, AccessTier] = {
    "read": AccessTier.OBSERVER,
    "contribute": AccessTier.CONTRIBUTOR,
    "validate": AccessTier.VALIDATOR,
    "delete": AccessTier.STEWARD,
}
"""Action -> the lowest tier allowed to do it."""


class UnknownPatternError(EmpathyError, LookupError):
    """No pattern with that id in the library (exit code 2)."""

    exit_code = 2


def keywords(*texts: Any) -> set[str]:
    """Lower-case words of 3+ characters in ``texts`` (strings, mappings' keys and values,
    lists), without common English words: what patterns are matched on."""
    found: set[str] = set()
    for text in texts:
        if isinstance(text, Mapping):
            found |= keywords(*text.keys(), *text.values())
        elif isinstance(text, list | tuple | set):
            found |= keywords(*text)
        elif isinstance(text, str | int | float) and not isinstance(text, bool):
            found |= {w for w in _WORD.findall(str(text).lower().replace("_", " ")) if w not in _STOP}
    return found


def _fraction(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    check_fraction(value, attribute.name)


def _content(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{attribute.name} must be non-empty text")
    if len(value) > MAX_CONTENT:
        raise ValueError(f"{attribute.name} is {len(value):,} characters (at most {MAX_CONTENT:,})")


@attrs.frozen
class Pattern:
    """A learned pattern: what it says, where it applies, how sure we are, who vouched for it."""

    pattern_id: str = attrs.field(validator=lambda _, a, v: check_name(v, a.name))
    content: str = attrs.field(validator=_content)
    pattern_type: str = attrs.field(default="general", validator=lambda _, a, v: check_name(v, a.name))
    context: dict[str, Any] = attrs.Factory(dict)
    confidence: float = attrs.field(default=0.5, validator=_fraction)
    contributed_by: str = "anonymous"
    created_at: datetime = attrs.Factory(utcnow)
    validated: bool = False
    validated_by: str | None = None
    validated_at: datetime | None = None

    def relevance(self, query: set[str]) -> float:
        """Share (0..1) of the query's keywords this pattern mentions."""
        if not query:
            return 0.0
        return len(query & keywords(self.content, self.pattern_type, self.context)) / len(query)


class PatternLibrary(UsesRuntime, Contextual):
    """The library ``name`` as agent ``agent_id`` with ``access_tier`` sees it.

    ``empathy=``: the runtime (default the process-wide one); its ``memory`` store holds
    the patterns. :meth:`as_agent` gives another agent's view of the same library.
    ``async with`` (and ``with``) return the library itself.
    """

    def __init__(
        self,
        name: str = "shared",
        *,
        empathy: Empathy | None = None,
        access_tier: AccessTier | str = AccessTier.CONTRIBUTOR,
        agent_id: str = "anonymous",
    ) -> None:
        self.name = check_name(name, "library name")
        self.namespace = check_name(f"patterns.{self.name}", "library namespace")
        self.access_tier = AccessTier.parse(access_tier)
        self.agent_id = check_name(agent_id, "agent_id")
        self._empathy = empathy

    def __repr__(self) -> str:
        return (
            f"PatternLibrary({self.name!r}, agent_id={self.agent_id!r}, access_tier={self.access_tier.label})"
        )

    @property
    def store(self) -> MemoryStore:
        store: MemoryStore = self.empathy.open_backend("memory")
        return store

    def as_agent(self, agent_id: str, access_tier: AccessTier | str) -> PatternLibrary:
        """The same library (same runtime and store) for another agent and tier."""
        return PatternLibrary(self.name, empathy=self._empathy, access_tier=access_tier, agent_id=agent_id)

    def allows(self, action: str) -> bool:
        return self.access_tier >= ACTIONS[action]

    def check(self, action: str) -> None:
        """``PermissionError`` naming tier and action unless this tier may do ``action``."""
        if not self.allows(action):
            raise PermissionError(
                f"access tier {self.access_tier.label} may not {action} patterns in library "
                f"{self.name!r} (needs {ACTIONS[action].label} or higher)"
            )

    # -- reading -----------------------------------------------------------------------

    def get_pattern(self, pattern_id: str) -> Pattern | None:
        """The pattern ``pattern_id``, ``None`` if absent."""
        self.check("read")
        pattern_id = check_name(pattern_id, "pattern_id")
        value = self.store.get_value(self.namespace, pattern_id)
        return None if value is None else self._structure(pattern_id, value)

    def require(self, pattern_id: str) -> Pattern:
        """The pattern ``pattern_id``; :class:`UnknownPatternError` if absent."""
        pattern = self.get_pattern(pattern_id)
        if pattern is None:
            raise UnknownPatternError(f"no pattern {pattern_id!r} in library {self.name!r}")
        return pattern

    def list_patterns(self, pattern_type: str | None = None) -> list[Pattern]:
        """Every pattern (of ``pattern_type`` if given), oldest first."""
        self.check("read")
        found = []
        for key in self.store.list_keys(self.namespace):
            value = self.store.get_value(self.namespace, key)
            if value is not None:
                found.append(self._structure(key, value))
        found = [p for p in found if pattern_type is None or p.pattern_type == pattern_type]
        return sorted(found, key=lambda p: (p.created_at, p.pattern_id))

    def query_patterns(self, context: Any, min_confidence: float = 0.5, limit: int = 10) -> list[Pattern]:
        """Patterns relevant to ``context`` (text, mapping or list) with confidence at least
        ``min_confidence``, most relevant (relevance x confidence) first, at most ``limit``."""
        min_confidence = check_fraction(min_confidence, "min_confidence")
        query = keywords(context)
        scored = [(p.relevance(query), p) for p in self.list_patterns()]
        kept = [(r, p) for r, p in scored if r > 0 and p.confidence >= min_confidence]
        kept.sort(key=lambda rp: (-rp[0] * rp[1].confidence, rp[1].pattern_id))
        return [p for _, p in kept[:limit]]

    # -- writing -----------------------------------------------------------------------

    def contribute_pattern(
        self,
        content: str,
        pattern_type: str = "general",
        context: Mapping[str, Any] | None = None,
        confidence: float = 0.5,
        pattern_id: str | None = None,
    ) -> Pattern:
        """Add an unvalidated pattern under a new id (or ``pattern_id``, which must be free)."""
        self.check("contribute")
        if pattern_id is not None and self.get_pattern(pattern_id) is not None:
            raise ValueError(f"pattern {pattern_id!r} already exists in library {self.name!r}")
        pattern = Pattern(
            pattern_id=pattern_id or new_id(),
            content=content,
            pattern_type=pattern_type,
            context=check_payload(context, "context"),
            confidence=confidence,
            contributed_by=self.agent_id,
        )
        self._write(pattern)
        return pattern

    def validate_pattern(self, pattern_id: str, confidence: float | None = None) -> Pattern:
        """Mark ``pattern_id`` validated by this agent (optionally with a new confidence)."""
        self.check("validate")
        changes: dict[str, Any] = {"validated": True, "validated_by": self.agent_id, "validated_at": utcnow()}
        if confidence is not None:
            changes["confidence"] = check_fraction(confidence, "confidence")
        pattern = attrs.evolve(self.require(pattern_id), **changes)
        self._write(pattern)
        return pattern

    def delete_pattern(self, pattern_id: str) -> bool:
        """Remove ``pattern_id``; whether it was there."""
        self.check("delete")
        return self.store.delete_value(self.namespace, check_name(pattern_id, "pattern_id"))

    def _write(self, pattern: Pattern) -> None:
        self.store.set_value(self.namespace, pattern.pattern_id, to_dict(pattern))

    def _structure(self, key: str, value: Any) -> Pattern:
        try:
            return from_dict(Pattern, value)
        except Exception as exc:
            raise StorageError(f"pattern {key!r} in library {self.name!r} is malformed: {exc}") from None
