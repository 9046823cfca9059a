"""``EmpathyOS``: trust, level choice and dispatch to the level handlers plugins register.

Trust starts at 0; :meth:`~EmpathyOS.record_success` adds ``trust_building_rate``,
:meth:`~EmpathyOS.record_failure` takes ``trust_erosion_rate``, clamped to [0, 1]. The
level is the trust band (1 Reactive 0-20 %, 2 Guided 20-40 %, 3 Proactive 40-60 %,
4 Anticipatory 60-80 %, 5 Systems 80-100 %), never above ``target_level``. Each
interaction runs the handler configured for its level on the engine (see
:mod:`empathy_os.engine`) and is added to the history the handlers see.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from empathy_core import (
    EmpathyError,
    EmpathyResponse,
    LLMRequest,
    LLMResponse,
    ModelTier,
    check_fraction,
    check_level,
    check_payload,
    level_for_trust,
)
from empathy_os import engine
from empathy_os.feedback import FeedbackReport, monitor_feedback_loops
from empathy_os.library import AccessTier, Pattern, PatternLibrary, keywords
from empathy_os.runtime import Contextual, UsesRuntime
from empathy_os.settings import EmpathyOSSettings
from empathy_os.state import (
    CollaborationState,
    Interaction,
    Outcome,
    TrustEvent,
    check_input,
    check_user_id,
    read_state,
    write_state,
)

if TYPE_CHECKING:
    from empathy_core import Empathy

__all__ = ["EmpathyOS", "EmpathyResponse"]

T = TypeVar("T")
_history: contextvars.ContextVar[tuple[Interaction, ...] | None] = contextvars.ContextVar(
    "empathy_os_history", default=None
)


class EmpathyOS(UsesRuntime, Contextual):
    """Empathy levels 1-5 for one user, chosen by the trust earned with them.

    :param user_id: whose collaboration this is (letters, digits, ``_ . -``, 1-64 characters).
    :param target_level: the highest level to reach (1-5).
    :param confidence_threshold: minimum confidence (0-1) for anticipatory predictions.
    :param logger: where to log trust changes and interactions (default ``empathy.os``).
    :param shared_library: a :class:`~empathy_os.PatternLibrary` shared with other agents.
    :param short_term_memory: an object with ``stash``/``retrieve``/``forget``/``keys``
        (default: ``ShortTermMemory(user_id, "empathy-os")`` of ``empathy-coordination``).
    :param access_tier: this agent's tier in the shared library.
    :param persistence_enabled: keep long-term patterns (:meth:`persist_pattern`) and
        allow state files; off, those raise :class:`~empathy_core.EmpathyError`.
    :param trust_building_rate: trust added per success (0-1).
    :param trust_erosion_rate: trust taken per failure (0-1).
    :param empathy: the runtime (default the process-wide one).
    """

    def __init__(
        self,
        user_id: str,
        target_level: int = 3,
        confidence_threshold: float = 0.75,
        logger: logging.Logger | None = None,
        shared_library: PatternLibrary | None = None,
        short_term_memory: Any = None,
        access_tier: AccessTier | str = AccessTier.CONTRIBUTOR,
        persistence_enabled: bool = True,
        trust_building_rate: float = 0.05,
        trust_erosion_rate: float = 0.10,
        *,
        empathy: Empathy | None = None,
    ) -> None:
        self.user_id = check_user_id(user_id)
        self.target_level = check_level(target_level, "target_level")
        self.confidence_threshold = check_fraction(confidence_threshold, "confidence_threshold")
        self.trust_building_rate = check_fraction(trust_building_rate, "trust_building_rate")
        self.trust_erosion_rate = check_fraction(trust_erosion_rate, "trust_erosion_rate")
        self.access_tier = AccessTier.parse(access_tier)
        self.persistence_enabled = bool(persistence_enabled)
        self.logger = logger or logging.getLogger("empathy.os")
        self._empathy = empathy
        self._memory = short_term_memory
        self._shared = (
            None if shared_library is None else shared_library.as_agent(self.user_id, self.access_tier)
        )
        self._personal: PatternLibrary | None = None
        self.state = CollaborationState(user_id=self.user_id)

    def __repr__(self) -> str:
        return (
            f"EmpathyOS({self.user_id!r}, trust={self.state.trust:.2f}, level={self.get_current_level()}, "
            f"target_level={self.target_level})"
        )

    # -- wiring --------------------------------------------------------------------------

    @property
    def settings(self) -> EmpathyOSSettings:
        settings: EmpathyOSSettings = self.empathy.settings(EmpathyOSSettings)
        return settings

    @property
    def memory(self) -> Any:
        """Short-term memory: the one given, else ``empathy-coordination``'s ``ShortTermMemory``."""
        if self._memory is None:
            from empathy_coordination import ShortTermMemory

            self._memory = ShortTermMemory(self.user_id, self.settings.agent_id, empathy=self.empathy)
        return self._memory

    @property
    def shared_library(self) -> PatternLibrary | None:
        """The shared library as this agent (``user_id``, ``access_tier``) sees it."""
        return self._shared

    # -- trust and levels ----------------------------------------------------------------

    def get_trust_level(self) -> float:
        """Trust, 0 to 1."""
        return self.state.trust

    @property
    def trust(self) -> float:
        return self.state.trust

    def get_current_level(self) -> int:
        """The level trust earns, capped by ``target_level``."""
        return level_for_trust(self.state.trust, self.target_level)

    def record_success(self, success: bool = True) -> TrustEvent:
        """Record that the last response helped (``success=False``: that it did not)."""
        return self._record("success" if success else "failure")

    def record_failure(self) -> TrustEvent:
        """Record that the last response did not help."""
        return self._record("failure")

    def _record(self, outcome: Outcome) -> TrustEvent:
        rate = self.trust_building_rate if outcome == "success" else self.trust_erosion_rate
        event = self.state.record(outcome, rate, self.settings.history_limit)
        self.logger.info("empathy-os %s: %s, trust %.2f", self.user_id, outcome, event.trust)
        return event

    def get_collaboration_state(self) -> CollaborationState:
        """A copy of the collaboration state (trust, counts, history)."""
        return attrs.evolve(
            self.state,
            interactions=list(self.state.interactions),
            trust_history=list(self.state.trust_history),
        )

    def reset_collaboration_state(self) -> None:
        """Back to trust 0 with no history."""
        self.state = CollaborationState(user_id=self.user_id)

    @property
    def history(self) -> Sequence[Interaction]:
        """The interactions handlers see: the ``history=`` given to a level method, else the state's."""
        override = _history.get()
        return override if override is not None else tuple(self.state.interactions)

    def monitor_feedback_loops(self, session_history: Iterable[Any] | None = None) -> FeedbackReport:
        """Reinforcing and balancing loops in ``session_history`` (default: this state's trust changes)."""
        return monitor_feedback_loops(
            self.state.trust_history if session_history is None else session_history
        )

    # -- interactions --------------------------------------------------------------------

    def interact(
        self, user_id: str, user_input: str, context: Mapping[str, Any] | None = None
    ) -> EmpathyResponse:
        """Answer ``user_input`` at the current level (synchronous; see :meth:`ainteract`)."""
        return _run(self.ainteract(user_id, user_input, context))

    async def ainteract(
        self, user_id: str, user_input: str, context: Mapping[str, Any] | None = None
    ) -> EmpathyResponse:
        """:meth:`interact` for code already in an event loop."""
        if check_user_id(user_id) != self.user_id:
            raise ValueError(f"user_id {user_id!r}: this EmpathyOS serves {self.user_id!r}")
        return await self.arun_level(self.get_current_level(), user_input, context)

    async def arun_level(
        self,
        level: int,
        user_input: str,
        context: Mapping[str, Any] | None = None,
        history: Iterable[Any] | None = None,
    ) -> EmpathyResponse:
        """Answer with the handler of ``level`` whatever the trust; ``history`` replaces the
        state's history for this call. The turn joins the history."""
        level = check_level(level)
        user_input = check_input(user_input)
        checked = check_payload(context, "context")
        token = _history.set(None if history is None else tuple(_interaction(h) for h in history))
        try:
            response = await engine.run_turn(self, level, user_input, checked)
        finally:
            _history.reset(token)
        turn = Interaction(
            user_input=user_input,
            level=level,
            response=response.response,
            confidence=response.confidence,
            handler=response.handler,
            context=checked,
        )
        self.state.add(turn, self.settings.history_limit)
        self.logger.info("empathy-os %s: level %d answered (%s)", self.user_id, level, response.handler)
        return response

    def run_level(
        self,
        level: int,
        user_input: str,
        context: Mapping[str, Any] | None = None,
        history: Iterable[Any] | None = None,
    ) -> EmpathyResponse:
        """:meth:`arun_level`, synchronous."""
        return _run(self.arun_level(level, user_input, context, history))

    def level_1_reactive(self, user_input: str, context: Mapping[str, Any] | None = None) -> EmpathyResponse:
        """Level 1: answer the question asked."""
        return self.run_level(1, user_input, context)

    def level_2_guided(
        self, user_input: str, context: Mapping[str, Any] | None = None, history: Iterable[Any] | None = None
    ) -> EmpathyResponse:
        """Level 2: ask clarifying questions when the request is ambiguous, using the history."""
        return self.run_level(2, user_input, context, history)

    def level_3_proactive(self, user_input: str, context: Mapping[str, Any] | None = None) -> EmpathyResponse:
        """Level 3: add suggestions from recalled patterns and session memory."""
        return self.run_level(3, user_input, context)

    def level_4_anticipatory(
        self, user_input: str, context: Mapping[str, Any] | None = None
    ) -> EmpathyResponse:
        """Level 4: predict problems from the trajectory and the context."""
        return self.run_level(4, user_input, context)

    def level_5_systems(self, user_input: str, context: Mapping[str, Any] | None = None) -> EmpathyResponse:
        """Level 5: share what was learned and propose workflow changes."""
        return self.run_level(5, user_input, context)

    async def complete(
        self,
        prompt: str,
        *,
        system: str = "",
        tier: ModelTier | str | None = None,
        max_tokens: int = 1024,
        messages: Sequence[Mapping[str, Any]] = (),
    ) -> LLMResponse:
        """For level handlers: one LLM call through the engine (priced, in telemetry).

        ``messages`` are earlier turns put before ``prompt``; ``tier`` defaults to the
        level's routed tier.
        """
        request = LLMRequest(
            messages=[*(dict(m) for m in messages), {"role": "user", "content": prompt}],
            system=system,
            max_tokens=max_tokens,
            tier=ModelTier.parse(tier) if tier is not None else engine.stage_tier(),
            metadata={"empathy_user": self.user_id},
        )
        return await engine.current_turn().complete(request)

    # -- state files ---------------------------------------------------------------------

    def save_state(self, user_id: str, filepath: str | Path) -> Path:
        """Write the state of ``user_id`` (this EmpathyOS's user) to ``filepath`` atomically."""
        self._check_own(user_id)
        self._check_persistence("save_state")
        return write_state(filepath, self.state)

    def load_state(self, user_id: str, filepath: str | Path) -> CollaborationState:
        """Replace the state with the one in ``filepath``; on any error the state is untouched."""
        self._check_own(user_id)
        self._check_persistence("load_state")
        self.state = read_state(filepath, self.user_id)
        return self.state

    def _check_own(self, user_id: str) -> None:
        if check_user_id(user_id) != self.user_id:
            raise ValueError(f"user_id {user_id!r}: this EmpathyOS holds the state of {self.user_id!r}")

    def _check_persistence(self, what: str) -> None:
        if not self.persistence_enabled:
            raise EmpathyError(
                f"{what}: persistence is disabled for this EmpathyOS (persistence_enabled=False)"
            )

    # -- memory --------------------------------------------------------------------------

    def stash(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Keep JSON ``value`` in short-term memory under ``key`` (``ttl`` seconds, ``None``: no expiry)."""
        self.memory.stash(key, value, ttl)

    def retrieve(self, key: str, default: Any = None) -> Any:
        """The short-term value under ``key``, ``default`` when absent or expired."""
        return self.memory.retrieve(key, default)

    def forget(self, key: str) -> bool:
        return bool(self.memory.forget(key))

    def memory_keys(self) -> list[str]:
        """Keys in short-term memory, sorted."""
        return list(self.memory.keys())

    @property
    def patterns(self) -> PatternLibrary:
        """This user's own long-term pattern library (``patterns.user.<user_id>``)."""
        self._check_persistence("long-term patterns")
        if self._personal is None:
            self._personal = PatternLibrary(
                f"user.{self.user_id}",
                empathy=self.empathy,
                access_tier=AccessTier.STEWARD,
                agent_id=self.user_id,
            )
        return self._personal

    def persist_pattern(
        self,
        content: str,
        pattern_type: str = "general",
        context: Mapping[str, Any] | None = None,
        confidence: float = 0.5,
    ) -> dict[str, Any]:
        """Keep a pattern long-term; ``{"pattern_id": ..., "pattern_type": ..., "library": ...}``."""
        pattern = self.patterns.contribute_pattern(content, pattern_type, context, confidence)
        return {
            "pattern_id": pattern.pattern_id,
            "pattern_type": pattern.pattern_type,
            "library": self.patterns.name,
        }

    def recall_pattern(self, pattern_id: str) -> Pattern | None:
        """The long-term pattern ``pattern_id``, ``None`` if absent."""
        return self.patterns.get_pattern(pattern_id)

    def recall_patterns(self, *about: Any, min_confidence: float = 0.0, limit: int = 5) -> list[Pattern]:
        """Patterns relevant to ``about`` (texts, contexts): this user's, then the shared library's."""
        found: list[Pattern] = []
        libraries = [self.patterns] if self.persistence_enabled else []
        if self._shared is not None:
            libraries.append(self._shared)
        query = sorted(keywords(*about))
        for library in libraries:
            found += library.query_patterns(query, min_confidence, limit)
        first: dict[str, Pattern] = {}
        for pattern in found:
            first.setdefault(pattern.pattern_id, pattern)
        return list(first.values())[:limit]

    # -- the shared library --------------------------------------------------------------

    def _library(self) -> PatternLibrary:
        if self._shared is None:
            raise EmpathyError(
                "this EmpathyOS has no shared library: pass shared_library=PatternLibrary(...)"
            )
        return self._shared

    def contribute_pattern(
        self,
        content: str,
        pattern_type: str = "general",
        context: Mapping[str, Any] | None = None,
        confidence: float = 0.5,
    ) -> Pattern:
        """Add a pattern to the shared library (Contributor tier or higher)."""
        return self._library().contribute_pattern(content, pattern_type, context, confidence)

    def query_patterns(self, context: Any, min_confidence: float = 0.5) -> list[Pattern]:
        """Shared patterns relevant to ``context`` with at least ``min_confidence``."""
        return self._library().query_patterns(context, min_confidence)



def _interaction(item: Any) -> Interaction:
    """A ``history=`` entry: an Interaction, a mapping of its fields, or the user's text."""
    if isinstance(item, Interaction):
        return item
    if isinstance(item, str):
        return Interaction(user_input=item)
    if isinstance(item, Mapping):
        fields = {f.name for f in attrs.fields(Interaction)}
        return Interaction(**{k: v for k, v in item.items() if k in fields and k != "at"})
    raise ValueError(f"history entries must be text, mappings or Interactions, got {type(item).__name__}")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion; inside a running event loop, say which method to await instead."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    coro.close()
    raise RuntimeError(
        "EmpathyOS: called from a running event loop; await ainteract() / arun_level() instead"
    )
