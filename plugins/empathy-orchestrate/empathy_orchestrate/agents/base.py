"""What an agent template is, how it runs (timeouts, statuses) and how findings become a score."""

from __future__ import annotations

import abc
import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from empathy_orchestrate.cache import MISSING
from empathy_orchestrate.errors import ToolFailed, ToolUnavailable
from empathy_orchestrate.records import (
    SEVERITY_WEIGHT,
    AgentReport,
    Finding,
    report_from_data,
    report_to_data,
)

if TYPE_CHECKING:
    from empathy_orchestrate.context import AnalysisContext
    from empathy_orchestrate.layout import Repository
    from empathy_orchestrate.tools import Tool

ALL_MODES = frozenset({"daily", "weekly", "release"})


@attrs.frozen
class Verdict:
    """One agent's opinion of another agent's finding (the Debate pattern's critique).

    ``stance`` is ``"agree"`` or ``"dispute"``; ``reason`` says why.
    """

    critic: str
    agent: str
    file: str
    line: int
    rule: str
    stance: str = attrs.field(validator=attrs.validators.in_(("agree", "dispute")))
    reason: str


class AgentTemplate(abc.ABC):
    """An analysis agent: one area of a repository's health, backed by real tools.

    Class attributes: ``name`` (unique, used on the command line and in reports),
    ``title`` (the area shown in reports), ``description``, ``tools`` (the
    :class:`~empathy_orchestrate.tools.Tool` instances it runs) and ``modes`` (the
    health-check modes that include it). :meth:`analyze` returns an ``ok`` report or
    raises :class:`ToolUnavailable` / :class:`ToolFailed`; :func:`run_agent` turns those,
    and timeouts, into a report with the matching status.
    """

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    description: ClassVar[str] = ""
    tools: ClassVar[Sequence[Tool]] = ()
    modes: ClassVar[frozenset[str]] = ALL_MODES
    version: ClassVar[str] = "1"

    def options(self, ctx: AnalysisContext) -> str:
        """Settings that change this agent's report (part of its cache key; default none).

        Bump ``version`` when :meth:`analyze` changes, so cached reports are not reused.
        """
        return ""

    def applies(self, repo: Repository) -> str | None:
        """``None`` when the agent is useful for ``repo``, else why not (the Adaptive pattern)."""
        return None

    @abc.abstractmethod
    async def analyze(self, ctx: AnalysisContext) -> AgentReport:
        """Analyse ``ctx.repo`` and return a report with status ``ok`` and a score."""

    async def critique(self, ctx: AnalysisContext, own: AgentReport, other: AgentReport) -> list[Verdict]:
        """Verdicts on ``other``'s findings from this agent's point of view (default: none)."""
        return []

    def tool_label(self) -> str:
        """``"pytest + coverage"``: the tools' names."""
        return " + ".join(tool.name for tool in self.tools)

    def tool_versions(self) -> str | None:
        """Installed versions of the tools, ``None`` if one is missing."""
        try:
            return ", ".join(f"{tool.name} {tool.display_version()}" for tool in self.tools) or None
        except ToolUnavailable:
            return None

    def report(
        self,
        *,
        score: float | None,
        findings: list[Finding],
        summary: str,
        metrics: dict[str, float] | None = None,
        complete: bool = True,
    ) -> AgentReport:
        """An ``ok`` report of this agent, findings sorted by severity then place.

        ``complete=False`` marks a report missing part of its analysis (not cached).
        """
        order = {"high": 0, "medium": 1, "low": 2}
        findings = sorted(findings, key=lambda f: (order[f.severity], f.file, f.line, f.rule))
        return AgentReport(
            agent=self.name,
            status="ok",
            score=None if score is None else round(score, 1),
            findings=findings,
            summary=summary,
            metrics=metrics or {},
            complete=complete,
        )


async def run_agent(template: AgentTemplate, ctx: AnalysisContext) -> AgentReport:
    """Run one agent with its timeout; never raises for a tool's failure.

    A report cached for the same tree, code and tools is returned without running
    anything. A missing or inapplicable tool gives ``unavailable``, a crash ``error``, an
    overrun ``timeout``; none of them has a score, so none counts towards the overall
    score, and none is cached.
    """
    started = time.perf_counter()
    try:
        key = ctx.report_key(template)
    except ToolUnavailable as exc:
        return _finish(
            template, ctx, AgentReport(agent=template.name, status="unavailable", summary=str(exc)), started
        )
    cached = ctx.cache.get_report(template.name, key)
    if cached is not MISSING:
        report = report_from_data(template.name, cached)
        if report is not None:
            ctx.report_keys[template.name] = key
            report.from_cache = True
            return _finish(template, ctx, report, started)
        ctx.cache.reject()
    report = await _analyze(template, ctx)
    report.from_cache = report.status == "ok" and not ctx.ran(*(t.name for t in template.tools))
    if report.status == "ok" and report.complete:
        ctx.report_keys[template.name] = key
        ctx.cache.put_report(template.name, key, report_to_data(report))
    return _finish(template, ctx, report, started)


async def _analyze(template: AgentTemplate, ctx: AnalysisContext) -> AgentReport:
    timeout = ctx.settings.timeout_for(template.name)
    try:
        return await asyncio.wait_for(template.analyze(ctx), timeout)
    except ToolUnavailable as exc:
        return AgentReport(agent=template.name, status="unavailable", summary=str(exc))
    except TimeoutError:
        return AgentReport(agent=template.name, status="timeout", summary=f"no result within {timeout:g} s")
    except ToolFailed as exc:
        return AgentReport(agent=template.name, status="error", summary=str(exc))
    except Exception as exc:
        return AgentReport(agent=template.name, status="error", summary=f"{type(exc).__name__}: {exc}")


def _finish(
    template: AgentTemplate, ctx: AnalysisContext, report: AgentReport, started: float
) -> AgentReport:
    report.agent = template.name
    report.tool = template.tool_label()
    report.tool_version = template.tool_versions()
    report.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return report


def density_score(findings: Iterable[Finding], lines: int, half_per_kloc: float) -> float:
    """100 with no findings; 50 when the severity-weighted findings reach ``half_per_kloc``
    per 1000 lines (a repository counts as at least 1000 lines); never below 0.

    Weights: high 10, medium 3, low 1.
    """
    weighted = sum(SEVERITY_WEIGHT[f.severity] for f in findings)
    kloc = max(lines / 1000, 1.0)
    return 100 / (1 + weighted / (kloc * half_per_kloc))


def plural(count: int, noun: str) -> str:
    """``"1 finding"``, ``"3 findings"``."""
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def count_summary(findings: Sequence[Finding], noun: str = "finding") -> str:
    """``"3 findings (1 high, 2 low)"`` or ``"no findings"``."""
    if not findings:
        return f"no {noun}s"
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    parts = ", ".join(f"{counts[s]} {s}" for s in ("high", "medium", "low") if s in counts)
    return f"{plural(len(findings), noun)} ({parts})"


def file_findings(results: Mapping[str, list[list[Any]]]) -> list[Finding]:
    """Findings from per-file rows ``rel -> [[line, severity, rule, message], ...]``."""
    return [
        Finding(rel, int(line), str(severity), str(rule), str(message))
        for rel, rows in results.items()
        for line, severity, rule, message in rows
    ]
