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
    ``from_cache`` is true when no tool had to run; ``complete`` is false when part of the
    analysis could not be done (such a report is not cached).
    """

    agent: str
    status: str = attrs.field(validator=attrs.validators.in_(("ok", "unavailable", "error", "timeout")))
    score: float | None = None
    findings: list[Finding] = attrs.field(factory=list, repr=False)
    summary: str = ""
    tool: str = ""
    tool_version: str | None = None
    duration_ms: float = 0.0
    metrics: dict[str, float] = attrs.Factory(dict)
    from_cache: bool = False
    complete: bool = True

    @property
    def counted(self) -> bool:
        """True when the report has a score that counts towards the overall score."""
        return self.status == "ok" and self.score is not None


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
    ``skipped`` maps agents the adaptive selection left out to the reason. ``synthesis``
    is the LLM's advice when one was asked (``synthesis_error`` says why it failed).
    """

    repository: str
    mode: str
    score: float | None
    agents: list[AgentReport]
    top_findings: list[RankedFinding] = attrs.field(factory=list, repr=False)
    skipped: dict[str, str] = attrs.Factory(dict)
    previous_score: float | None = None
    previous_scores: dict[str, float] = attrs.Factory(dict)
    tools: dict[str, ToolStats] = attrs.Factory(dict)
    files: int = 0
    lines: int = 0
    duration_ms: float = 0.0
    started_at: str = ""
    synthesis: str | None = None
    synthesis_error: str | None = None

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
    if not isinstance(line, int):
        raise TypeError(f"line must be an integer, got {line!r}")
    return Finding(str(file), line, str(severity), str(rule), str(message))


def report_to_data(report: AgentReport) -> dict[str, Any]:
    """Compact JSON data of an agent report (findings as rows) for the cache."""
    return {
        "status": report.status,
        "score": report.score,
        "summary": report.summary,
        "metrics": report.metrics,
        "findings": [[f.file, f.line, f.severity, f.rule, f.message] for f in report.findings],
    }


def report_from_data(agent: str, data: Any) -> AgentReport | None:
    """The report stored by :func:`report_to_data`, or ``None`` if ``data`` is malformed."""
    try:
        return AgentReport(
            agent=agent,
            status=data["status"],
            score=None if data["score"] is None else float(data["score"]),
            findings=[finding_from_row(row) for row in data["findings"]],
            summary=str(data["summary"]),
            metrics={str(k): float(v) for k, v in data["metrics"].items()},
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def ranked_to_row(ranked: RankedFinding) -> list[Any]:
    """``[agent, file, line, severity, rule, message, corroborated_by]``."""
    f = ranked.finding
    return [ranked.agent, f.file, f.line, f.severity, f.rule, f.message, list(ranked.corroborated_by)]


def ranked_from_row(row: Any) -> RankedFinding:
    """Inverse of :func:`ranked_to_row`; raises ``ValueError``/``TypeError`` when malformed."""
    agent, *finding, corroborated_by = row
    return RankedFinding(str(agent), finding_from_row(finding), tuple(str(a) for a in corroborated_by))
