"""What level 4 foresees without the model: risks in the context, trends in the trajectory.

Each finding is a :class:`Foresight` with a confidence; level 4 shows those at or above
the EmpathyOS's ``confidence_threshold`` and withholds the rest.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from empathy_os import Interaction, keywords

RECENT = 10
"""Interactions of the trajectory looked at."""
RECURRING = 3
"""Times a topic must come up (this request included) to count as recurring."""


@attrs.frozen
class Foresight:
    """One anticipated problem, how sure we are of it, and what it was derived from."""

    text: str
    confidence: float
    source: str


@attrs.frozen
class Rule:
    """A risk that the request's words and context reveal."""

    name: str
    applies: Callable[[set[str], Mapping[str, Any]], bool]
    text: str
    confidence: float


def _production(words: set[str]) -> bool:
    return bool(words & {"production", "prod", "live"})


def _changing(words: set[str]) -> bool:
    return bool(words & {"deploy", "deploying", "deployment", "release", "releasing", "rollout", "ship"})


RULES = (
    Rule(
        "friday-deploy",
        lambda w, c: _production(w) and _changing(w) and bool(w & {"friday", "weekend"}),
        "A production deploy on a Friday afternoon leaves a failure to the weekend, with fewer people "
        "on call: deploy early in the week, or have the rollback rehearsed and someone on call",
        0.9,
    ),
    Rule(
        "breaking-change",
        lambda w, c: c.get("breaking_change") is True or "breaking" in w,
        "Clients of the previous version will break: version the change and announce a deprecation window",
        0.85,
    ),
    Rule(
        "production-change",
        lambda w, c: _production(w) and _changing(w),
        "A production change without a tested rollback turns any failure into an outage: rehearse the "
        "rollback before you start",
        0.8,
    ),
    Rule(
        "schema-migration",
        lambda w, c: bool(w & {"migration", "migrate", "schema"}),
        "A schema migration can lock busy tables or break older code still running: run it on a copy "
        "of production data and keep it backward compatible",
        0.75,
    ),
    Rule(
        "new-endpoint",
        lambda w, c: bool(w & {"endpoint", "endpoints", "api"}) and bool(w & {"new", "adding", "add"}),
        "A new endpoint needs authentication, rate limiting and monitoring before clients depend on it",
        0.7,
    ),
)


def from_context(user_input: str, context: Mapping[str, Any]) -> list[Foresight]:
    """Risks the request and its context reveal (:data:`RULES`)."""
    words = keywords(user_input, context)
    return [Foresight(r.text, r.confidence, f"rule:{r.name}") for r in RULES if r.applies(words, context)]


def recurring_topics(user_input: str, history: Sequence[Interaction]) -> list[tuple[str, int]]:
    """Keywords of this request that came up in at least :data:`RECURRING` of the recent
    requests (this one included), most frequent first."""
    recent = [keywords(turn.user_input) for turn in history[-RECENT:]]
    counts = Counter(word for words in recent for word in words)
    current = keywords(user_input)
    found = [(word, counts[word] + 1) for word in current if counts[word] + 1 >= RECURRING]
    return sorted(found, key=lambda wc: (-wc[1], wc[0]))


def from_trajectory(user_input: str, history: Sequence[Interaction]) -> list[Foresight]:
    """What the recent interactions suggest: a recurring topic, a run of failures."""
    found = []
    topics = recurring_topics(user_input, history)
    if topics:
        topic, count = topics[0]
        found.append(
            Foresight(
                f"'{topic}' has come up in {count} of your recent requests and will again: "
                "a checklist or an automated check for it will pay off",
                min(0.95, 0.5 + 0.1 * count),
                "trajectory:recurring",
            )
        )
    failures = 0
    for turn in reversed(history):
        if turn.outcome != "failure":
            break
        failures += 1
    if failures >= 2:
        found.append(
            Foresight(
                f"The last {failures} answers did not help: the cause is probably not where we have "
                "been looking",
                min(0.95, 0.6 + 0.1 * failures),
                "trajectory:failures",
            )
        )
    return found
