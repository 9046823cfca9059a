"""``monitor_feedback_loops``: reinforcing and balancing loops in a session's outcomes.

A *reinforcing* loop amplifies itself: successes raise trust, which unlocks higher levels
that succeed again (``virtuous``); failures erode trust, the level drops, answers help
less (``vicious``). A *balancing* loop pulls trust back: a failure after a run of successes
or a recovery after failures (``correction``), or trust pinned at a bound it cannot pass
(``saturation``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import attrs

LoopKind = Literal["reinforcing", "balancing"]
MIN_RUN = 3
"""Consecutive equal outcomes that make a reinforcing loop."""


@attrs.frozen
class FeedbackLoop:
    """One loop found: its kind, what it is, the outcomes it spans (indexes) and the trust change."""

    kind: LoopKind
    name: str
    description: str
    start: int
    end: int
    trust_change: float = 0.0


@attrs.frozen
class FeedbackReport:
    """Every loop found, and which kind dominates the session (``None``: neither)."""

    loops: list[FeedbackLoop]
    dominant: LoopKind | None
    outcomes: int

    @property
    def reinforcing(self) -> list[FeedbackLoop]:
        return [loop for loop in self.loops if loop.kind == "reinforcing"]

    @property
    def balancing(self) -> list[FeedbackLoop]:
        return [loop for loop in self.loops if loop.kind == "balancing"]


def _point(item: Any, index: int) -> tuple[bool, float | None]:
    """``(success, trust after)`` of one history entry: a TrustEvent, an Interaction or a mapping."""
    get = item.get if isinstance(item, Mapping) else lambda key, default=None: getattr(item, key, default)
    outcome = get("outcome")
    if outcome is None and "success" in (item if isinstance(item, Mapping) else ()):
        outcome = "success" if item["success"] else "failure"
    if outcome not in ("success", "failure"):
        raise ValueError(f"session_history[{index}] has no outcome ('success' or 'failure'): {item!r}")
    trust = get("trust", get("trust_after"))
    return outcome == "success", None if trust is None else float(trust)


def monitor_feedback_loops(session_history: Iterable[Any]) -> FeedbackReport:
    """The loops in ``session_history`` (oldest first): trust events, interactions with an
    outcome, or mappings with ``outcome`` (or ``success``) and optionally ``trust``."""
    points = [_point(item, i) for i, item in enumerate(session_history)]
    loops: list[FeedbackLoop] = []
    start = 0
    for i in range(1, len(points) + 1):
        if i < len(points) and points[i][0] == points[start][0]:
            continue
        length, success = i - start, points[start][0]
        change = _change(points, start, i - 1)
        if length >= MIN_RUN or (not success and length >= 2):
            loops.append(_run(success, start, i - 1, change))
        if start > 0 and (length >= 2 or _run_before(points, start) >= 2):
            loops.append(_correction(success, start - 1, start, _change(points, start - 1, start)))
        start = i
    loops += _saturation(points)
    return FeedbackReport(sorted(loops, key=lambda lp: (lp.start, lp.kind)), _dominant(loops), len(points))


def _run_before(points: list[tuple[bool, float | None]], start: int) -> int:
    n, j = 0, start - 1
    while j >= 0 and points[j][0] == points[start - 1][0]:
        n, j = n + 1, j - 1
    return n


def _change(points: list[tuple[bool, float | None]], first: int, last: int) -> float:
    before = points[first - 1][1] if first > 0 else None
    after = points[last][1]
    if after is None:
        return 0.0
    if before is None:
        before = 0.0 if first == 0 else after
    return round(after - before, 9)


def _run(success: bool, start: int, end: int, change: float) -> FeedbackLoop:
    count = end - start + 1
    if success:
        text = f"{count} successes in a row raise trust, which unlocks higher levels that keep succeeding"
        return FeedbackLoop("reinforcing", "virtuous", text, start, end, change)
    text = f"{count} failures in a row erode trust, lowering the level and the help it gives"
    return FeedbackLoop("reinforcing", "vicious", text, start, end, change)


def _correction(success: bool, start: int, end: int, change: float) -> FeedbackLoop:
    text = (
        "a success after failures starts rebuilding trust"
        if success
        else "a failure after successes pulls trust back toward caution"
    )
    return FeedbackLoop("balancing", "correction", text, start, end, change)


_BOUNDS = (
    (1.0, True, "trust is at its ceiling: further successes cannot raise it"),
    (0.0, False, "trust is at its floor: further failures cannot lower it"),
)


def _saturation(points: list[tuple[bool, float | None]]) -> list[FeedbackLoop]:
    """Outcomes that left trust pinned at 1 (successes) or 0 (failures)."""
    found = []
    for bound, success, text in _BOUNDS:
        pinned = [
            i
            for i in range(1, len(points))
            if points[i][0] is success and points[i][1] == bound and points[i - 1][1] == bound
        ]
        if pinned:
            found.append(FeedbackLoop("balancing", "saturation", text, pinned[0] - 1, pinned[-1], 0.0))
    return found


def _dominant(loops: list[FeedbackLoop]) -> LoopKind | None:
    def span(kind: str) -> int:
        return sum(lp.end - lp.start + 1 for lp in loops if lp.kind == kind)

    reinforcing, balancing = span("reinforcing"), span("balancing")
    if reinforcing == balancing:
        return None
    return "reinforcing" if reinforcing > balancing else "balancing"
