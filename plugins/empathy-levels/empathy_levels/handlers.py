"""The five default handlers: ``handler(os, user_input, context) -> EmpathyResponse``.

1 answers. 2 asks clarifying questions when the request is ambiguous and sends the recent
history with it. 3 adds suggestions from recalled patterns and session memory. 4 adds
predictions from the trajectory and the context, those below the confidence threshold
withheld. 5 also contributes what it learned to the shared library and proposes workflow
changes. Every model call is ``await os.complete(...)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from empathy_core import EmpathyResponse
from empathy_levels import anticipation, text
from empathy_os import Interaction, Pattern, keywords

HISTORY_TURNS = 5
"""Earlier interactions sent with a level-2 (and higher) request."""
MEMORY_ITEMS = 10
"""Short-term memory entries a level-3 request looks at."""
VAGUE = frozenset({"it", "this", "that", "these", "those", "something", "stuff", "thing", "things"})

BASE = "You are EmpathyOS, an assistant that adapts how much initiative it takes to the trust earned."
SYSTEMS = {
    1: f"{BASE} Level 1 (reactive): answer exactly what is asked, concisely, with no suggestions.",
    2: f"{BASE} Level 2 (guided): answer, and when the request is ambiguous ask up to three clarifying "
    "questions, one per line, each ending with '?'. Use the earlier turns of the conversation.",
    3: f"{BASE} Level 3 (proactive): answer, then list improvements the user did not ask for as lines "
    "starting with '- ', using the known patterns and session notes given.",
    4: f"{BASE} Level 4 (anticipatory): answer, then list problems likely to come as lines "
    "'- [confidence from 0 to 1] problem'.",
    5: f"{BASE} Level 5 (systems): answer, then list changes to the team's workflow or system that would "
    "prevent this kind of request, as lines starting with '- '.",
}


async def reactive(os: Any, user_input: str, context: dict[str, Any]) -> EmpathyResponse:
    reply = await os.complete(_prompt(user_input, context), system=SYSTEMS[1])
    return EmpathyResponse(response=reply.text, level=1, confidence=0.6)


async def guided(os: Any, user_input: str, context: dict[str, Any]) -> EmpathyResponse:
    history = list(os.history)[-HISTORY_TURNS:]
    reasons = ambiguity(user_input, context, history)
    note = f"\n\nThe request looks ambiguous: {'; '.join(reasons)}." if reasons else ""
    reply = await os.complete(
        _prompt(user_input, context) + note, system=SYSTEMS[2], messages=_turns(history)
    )
    asked = text.questions(reply.text) if reasons else []
    return EmpathyResponse(
        response=reply.text,
        level=2,
        confidence=0.5 if reasons else 0.7,
        questions=asked or [QUESTIONS[r.split(":")[0]] for r in reasons],
        metadata={"ambiguous": bool(reasons), "ambiguity": reasons, "history_turns": len(history)},
    )


async def proactive(os: Any, user_input: str, context: dict[str, Any]) -> EmpathyResponse:
    response, _ = await _proactive(os, user_input, context, level=3)
    return response


async def anticipatory(os: Any, user_input: str, context: dict[str, Any]) -> EmpathyResponse:
    history = list(os.history)
    base, reply = await _proactive(os, user_input, context, level=4)
    shown, withheld = _foresee(os, user_input, context, history, reply)
    return _with_predictions(base, shown, withheld)


async def systems(os: Any, user_input: str, context: dict[str, Any]) -> EmpathyResponse:
    history = list(os.history)
    base, reply = await _proactive(os, user_input, context, level=5)
    shown, withheld = _foresee(os, user_input, context, history, reply)
    response = _with_predictions(base, shown, withheld)
    changes = text.unique(_workflow_changes(os, user_input, history, shown) + _llm_suggestions(reply))
    contributed = _contribute(os, user_input, context, history)
    return EmpathyResponse(
        response=response.response,
        level=5,
        confidence=response.confidence,
        predictions=response.predictions,
        suggestions=response.suggestions,
        metadata={**response.metadata, "workflow_changes": changes, **contributed},
    )


HANDLERS = {1: reactive, 2: guided, 3: proactive, 4: anticipatory, 5: systems}


# -- level 2 -----------------------------------------------------------------------------

QUESTIONS = {
    "reference": "What exactly does your request refer to: which file, function, service or error?",
    "subject": "What are you trying to achieve, and what have you tried so far?",
    "setting": "Where does this happen: which language, framework, version and environment?",
}


def ambiguity(user_input: str, context: dict[str, Any], history: Sequence[Interaction]) -> list[str]:
    """Why the request is ambiguous (empty: it is not): a vague reference with no earlier
    turn to resolve it, no specific subject, no setting. Each reason starts with its kind."""
    words = set(re.findall(r"[a-z']+", user_input.lower()))
    subject = keywords(user_input) - VAGUE
    reasons = []
    vague = sorted(words & VAGUE)
    if vague and not history:
        reasons.append(f"reference: {', '.join(repr(v) for v in vague)} with nothing earlier to refer to")
    if len(subject) < 2 and not history:
        reasons.append("subject: the request names no specific subject")
    if reasons and not context:
        reasons.append("setting: no context was given")
    return reasons


def _turns(history: Sequence[Interaction]) -> list[dict[str, str]]:
    """Earlier interactions as alternating user/assistant messages."""
    messages = []
    for turn in history:
        messages.append({"role": "user", "content": turn.user_input or "(empty)"})
        messages.append({"role": "assistant", "content": turn.response or "(no answer recorded)"})
    return messages


# -- level 3 -----------------------------------------------------------------------------


async def _proactive(
    os: Any, user_input: str, context: dict[str, Any], level: int
) -> tuple[EmpathyResponse, str]:
    """Level 3's answer (also the base of 4 and 5) and the raw reply."""
    history = list(os.history)[-HISTORY_TURNS:]
    patterns = os.recall_patterns(user_input, context)
    notes = _memory(os)
    relevant = {k: v for k, v in notes.items() if keywords(user_input, context) & keywords(k, v)}
    prompt = _prompt(user_input, context)
    if patterns:
        prompt += "\n\nKnown patterns:\n" + "\n".join(f"- {p.content}" for p in patterns)
    if notes:
        prompt += "\n\nSession notes:\n" + "\n".join(f"- {k}: {_short(v)}" for k, v in notes.items())
    reply = await os.complete(prompt, system=SYSTEMS[level], messages=_turns(history))
    suggestions = [_from_pattern(p) for p in patterns]
    suggestions += [
        f"You noted {key} = {_short(value)}: pick up from there" for key, value in relevant.items()
    ]
    suggestions += _llm_suggestions(reply.text) if level == 3 else []  # 4: predictions, 5: workflow changes
    response = EmpathyResponse(
        response=reply.text,
        level=level,
        confidence=max([0.65, *(p.confidence for p in patterns)]),
        suggestions=text.unique(suggestions),
        metadata={"patterns": [p.pattern_id for p in patterns], "memory_keys": sorted(relevant)},
    )
    return response, reply.text


def _memory(os: Any) -> dict[str, Any]:
    keys = os.memory_keys()[:MEMORY_ITEMS]
    return {key: os.retrieve(key) for key in keys}


def _from_pattern(pattern: Pattern) -> str:
    checked = "validated" if pattern.validated else "unvalidated"
    return f"From pattern {pattern.pattern_id} ({pattern.pattern_type}, {checked}): {pattern.content}"


def _llm_suggestions(reply: str) -> list[str]:
    return [item for item in text.bullets(reply) if not item.endswith("?") and not item.startswith("[")]


# -- level 4 -----------------------------------------------------------------------------


def _foresee(
    os: Any, user_input: str, context: dict[str, Any], history: list[Interaction], reply: str
) -> tuple[list[anticipation.Foresight], list[anticipation.Foresight]]:
    """Predictions at or above ``os.confidence_threshold``, and those withheld."""
    found = anticipation.from_context(user_input, context) + anticipation.from_trajectory(user_input, history)
    found += [anticipation.Foresight(t, c, "model") for c, t in text.scored(reply)]
    first: dict[str, anticipation.Foresight] = {}
    for foresight in found:
        first.setdefault(foresight.text.lower(), foresight)
    unique = sorted(first.values(), key=lambda f: -f.confidence)  # stable: rules before the model
    shown = [f for f in unique if f.confidence >= os.confidence_threshold]
    return shown, [f for f in unique if f.confidence < os.confidence_threshold]


def _with_predictions(
    base: EmpathyResponse, shown: list[anticipation.Foresight], withheld: list[anticipation.Foresight]
) -> EmpathyResponse:
    details = [{"text": f.text, "confidence": f.confidence, "source": f.source} for f in shown]
    return EmpathyResponse(
        response=base.response,
        level=base.level,
        confidence=max([f.confidence for f in shown], default=base.confidence),
        predictions=[f.text for f in shown],
        suggestions=base.suggestions,
        metadata={
            **base.metadata,
            "prediction_details": details,
            "withheld": [{"text": f.text, "confidence": f.confidence, "source": f.source} for f in withheld],
        },
    )


# -- level 5 -----------------------------------------------------------------------------


def _workflow_changes(
    os: Any, user_input: str, history: list[Interaction], shown: list[anticipation.Foresight]
) -> list[str]:
    """Changes to how the team works that the loops, recurring topics and risks call for."""
    changes = []
    for loop in os.monitor_feedback_loops().loops:
        if loop.name == "vicious":
            changes.append(
                f"Add a review step before answers are acted on: {loop.end - loop.start + 1} failures "
                "in a row are eroding trust (a reinforcing loop)"
            )
    for topic, count in anticipation.recurring_topics(user_input, history)[:1]:
        changes.append(
            f"Automate '{topic}': it came up {count} times; a workflow or a checklist stage would handle it"
        )
    if any(f.source == "rule:friday-deploy" for f in shown):
        changes.append("Add a deploy-freeze check to the release workflow for Friday afternoons")
    if any(f.source == "rule:production-change" for f in shown):
        changes.append("Make a rehearsed rollback a required stage of every production release")
    return changes


def _contribute(
    os: Any, user_input: str, context: dict[str, Any], history: list[Interaction]
) -> dict[str, Any]:
    """Share what this collaboration taught as a pattern, when the library lets this agent."""
    library = os.shared_library
    if library is None:
        return {"contributed": None, "not_contributed": "no shared library"}
    if not library.allows("contribute"):
        return {
            "contributed": None,
            "not_contributed": f"access tier {library.access_tier.label} may not contribute",
        }
    topics = anticipation.recurring_topics(user_input, history)
    topic = topics[0][0] if topics else (sorted(keywords(user_input)) or ["general"])[0]
    helped = sum(1 for turn in history if turn.outcome == "success" and topic in keywords(turn.user_input))
    pattern_id = re.sub(r"[^A-Za-z0-9_.-]", "-", f"learned.{os.user_id}.{topic}")[:128]
    if library.get_pattern(pattern_id) is not None:
        return {"contributed": pattern_id, "already_known": True}
    total = 1 + sum(1 for turn in history if topic in keywords(turn.user_input))
    pattern = library.contribute_pattern(
        f"{os.user_id} asks about '{topic}' ({total} time(s) so far, {helped} answer(s) helped), "
        f"with context {', '.join(sorted(context)) or 'none'}: answer with the risks and a checklist",
        pattern_type="learned",
        context={
            "topic": topic,
            **{k: v for k, v in context.items() if isinstance(v, str | int | float | bool)},
        },
        confidence=round(min(0.95, 0.5 + 0.05 * helped), 2),
        pattern_id=pattern_id,
    )
    return {"contributed": pattern.pattern_id, "already_known": False}


# -- shared ------------------------------------------------------------------------------


def _prompt(user_input: str, context: dict[str, Any]) -> str:
    if not context:
        return user_input
    return f"{user_input}\n\nContext: {json.dumps(context, sort_keys=True)}"


def _short(value: Any, limit: int = 120) -> str:
    shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return shown if len(shown) <= limit else shown[: limit - 3] + "..."
