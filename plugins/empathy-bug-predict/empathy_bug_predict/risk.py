"""The risk score of a file from its signals; each signal is scaled to 0..1 first.

- complexity: the file's most complex function, ``(max McCabe - 1) / 20`` capped at 1;
- churn: commits touching the file over the most-touched file's commits;
- lint density: ruff findings per 100 lines over 10, capped at 1;
- coverage gap: ``1 - covered / statements`` (a file the tests never ran: 1).

The score is ``100 * sum(weight * signal) / sum(weight)`` over the signals known for the
tree (a tree without git history or without tests is scored on the others: the result
says which were missing). ``high`` from 60, ``medium`` from 30.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

WEIGHTS: dict[str, float] = {"complexity": 0.3, "churn": 0.3, "lint_density": 0.2, "coverage_gap": 0.2}
HIGH, MEDIUM = 60.0, 30.0


@attrs.define
class Signals:
    """The raw measurements of one file (``None``: not measured for this tree)."""

    lines: int
    max_complexity: int
    functions: int
    lint_findings: int
    churn: int | None = None
    coverage: float | None = None

    @property
    def lint_density(self) -> float:
        """ruff findings per 100 lines."""
        return 100 * self.lint_findings / max(self.lines, 1)


def scaled(signals: Signals, max_churn: int) -> dict[str, float | None]:
    """Each signal on 0..1 (``None`` when not measured)."""
    return {
        "complexity": min(1.0, max(0, signals.max_complexity - 1) / 20),
        "churn": None if signals.churn is None else (signals.churn / max_churn if max_churn else 0.0),
        "lint_density": min(1.0, signals.lint_density / 10),
        "coverage_gap": None if signals.coverage is None else 1.0 - signals.coverage,
    }


def score(parts: Mapping[str, float | None], weights: Mapping[str, float] = WEIGHTS) -> float:
    """The weighted mean of the known parts, 0..100."""
    known = {name: value for name, value in parts.items() if value is not None}
    total = sum(weights[name] for name in known)
    if not total:
        return 0.0
    return round(100 * sum(weights[name] * value for name, value in known.items()) / total, 1)


def level(value: float) -> str:
    return "high" if value >= HIGH else "medium" if value >= MEDIUM else "low"
