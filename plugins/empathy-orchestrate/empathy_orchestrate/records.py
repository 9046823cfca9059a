"""The records agents and workflows return: findings, agent reports, health and release reports.

They are attrs classes; :mod:`empathy_core.serialize` turns them into JSON and back.
"""

from __future__ import annotations

from typing import Any, Literal

import attrs

Severity = Literal["high", "medium", "low"]
Status = Literal["ok", "unavailable", "error", "timeout"]

SEVERITIES: tuple[str, ...] = ("high", "medium", "low")
SEVERITY_WEIGHT: dict[str, int] = {"high": 10, "medium": 3, "low": 1}


@attrs.frozen
class Finding:
    """One problem at one place. ``file`` is relative to the analysed repository (POSIX)."""

    file: str
    line: int
    severity: str = attrs.field(validator=attrs.validators.in_(SEVERITIES))
    rule: str
    message: str

    def location(self) -> str:
        """``file:line``."""
        return f"{self.file}:{self.line}"


@attrs.define
class AgentReport:
    """What one agent found, scored 0-100.

    ``status`` is ``ok`` (``score`` set), ``unavailable`` (the tool is missing or does not
    apply; ``summary`` says why), ``error`` (the tool crashed) or ``timeout``. Only ``ok``
    reports count towards a score: a tool that did not run is never counted as perfect.
    ``metrics`` holds the agent's raw figures (e.g. ``{"percent_covered": 81.2}``);
    ``from_cache`` is true when no tool had to run.
    """

    agent: str
    status: str = attrs.field(validator=attrs.validators.in_(("ok", "unavailable", "error", "timeout")))
    score: float | None = None
    findings: list[Finding] = attrs.Factory(list)
    summary: str = ""
    tool: str = ""
    tool_version: str | None = None
    duration_ms: float = 0.0
    metrics: dict[str, float] = attrs.Factory(dict)
    from_cache: bool = False
    synthesis: str | None = None

    @property
    def counted(self) -> bool:
        """True when the report has a score that counts towards the overall score."""
        return self.status == "ok" and self.score is not None

    def counts(self) -> dict[str, int]:
        """Number of findings per severity."""
        out = dict.fromkeys(SEVERITIES, 0)
        for finding in self.findings:
            out[finding.severity] += 1
        return out


@attrs.frozen
class RankedFinding:
    """A finding in the report's top list, with the agents that corroborated it."""

    agent: str
    finding: Finding
    corroborated_by: tuple[str, ...] = ()


@attrs.frozen
class ToolStats:
    """How often a tool ran in one health-check and on how many files (0: all from cache)."""

    runs: int = 0
    files: int = 0
    cached_files: int = 0


@attrs.define
class HealthReport:
    """The result of one health-check.

    ``score`` is the mean of the counted agents' scores (``None`` if none counted);
    ``previous_score`` is the score of the previous run in the same mode (trend).
    ``skipped`` maps agents the adaptive selection left out to the reason.
    """

    repository: str
    mode: str
    score: float | None
    agents: list[AgentReport]
    top_findings: list[RankedFinding] = attrs.Factory(list)
    skipped: dict[str, str] = attrs.Factory(dict)
    previous_score: float | None = None
    previous_scores: dict[str, float] = attrs.Factory(dict)
    tools: dict[str, ToolStats] = attrs.Factory(dict)
    files: int = 0
    lines: int = 0
    duration_ms: float = 0.0
    started_at: str = ""
    synthesis: str | None = None

    def agent(self, name: str) -> AgentReport:
        """The report of agent ``name``; ``KeyError`` if it did not run."""
        for report in self.agents:
            if report.agent == name:
                return report
        raise KeyError(name)

    @property
    def trend(self) -> float | None:
        """Score change since the previous run in the same mode."""
        if self.score is None or self.previous_score is None:
            return None
        return round(self.score - self.previous_score, 1)


@attrs.frozen
class GateResult:
    """One release gate: what was required, what was measured, pass or fail."""

    name: str
    passed: bool
    required: str
    actual: str
    detail: str = ""


@attrs.define
class ReleaseReport:
    """release-prep: the gates and the health report they were computed from."""

    repository: str
    gates: list[GateResult]
    health: HealthReport

    @property
    def passed(self) -> bool:
        """True when every gate passed."""
        return all(gate.passed for gate in self.gates)


def finding_from_row(row: list[Any] | tuple[Any, ...]) -> Finding:
    """Build a :class:`Finding` from the compact cache row ``[file, line, severity, rule, message]``."""
    file, line, severity, rule, message = row
    return Finding(str(file), int(line), str(severity), str(rule), str(message))
