"""The health-check: choose agents for the repository, run them in parallel, debate, score.

Composition: :class:`~empathy_orchestrate.patterns.Adaptive` picks the mode's agents
that apply to what the repository contains; a :class:`~empathy_orchestrate.patterns.Debate`
runs them in parallel (bounded), lets each critique the others' findings and judges:
the overall score is the mean of the agents that produced one (an agent whose tool did
not run never counts, least of all as perfect), the top findings are ranked by severity
and corroboration. Scores are kept per repository so the next run shows the trend.
"""

from __future__ import annotations

import functools
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from empathy_core import EmpathyError
from empathy_orchestrate import fingerprint, synthesis
from empathy_orchestrate.agents.base import AgentTemplate, Verdict, run_agent
from empathy_orchestrate.cache import MISSING, History, repository_dir
from empathy_orchestrate.context import AnalysisContext
from empathy_orchestrate.layout import scan
from empathy_orchestrate.patterns import Adaptive, Debate
from empathy_orchestrate.records import (
    SEVERITY_WEIGHT,
    AgentReport,
    HealthReport,
    RankedFinding,
    ToolStats,
    ranked_from_row,
    ranked_to_row,
)
from empathy_orchestrate.registry import agent_templates, orchestrate_settings, pick_agents

if TYPE_CHECKING:
    from empathy_core import Empathy
    from empathy_orchestrate.settings import OrchestrateSettings

MODES = ("daily", "weekly", "release")
AGREE_BONUS = 3
SAME_RULE_LIMIT = 3
DISPUTE_PENALTY = 5


def mean_score(reports: Sequence[AgentReport]) -> float | None:
    """Mean score of the reports that count (status ``ok``); ``None`` if none does."""
    scores = [r.score for r in reports if r.counted and r.score is not None]
    return round(sum(scores) / len(scores), 1) if scores else None


def rank_findings(
    reports: Sequence[AgentReport], verdicts: Sequence[Verdict], limit: int
) -> list[RankedFinding]:
    """The ``limit`` most important findings.

    Severity first; a finding is corroborated by every other agent that agreed with it
    or reported a medium or high finding at the same place, and loses rank for each
    dispute. At most :data:`SAME_RULE_LIMIT` findings of one agent's rule are listed, so
    one noisy rule cannot hide every other problem.
    """
    places: dict[tuple[str, int], set[str]] = defaultdict(set)
    for report in reports:
        for finding in report.findings:
            if finding.severity != "low":
                places[(finding.file, finding.line)].add(report.agent)
    agrees: dict[tuple[str, str, int, str], set[str]] = defaultdict(set)
    disputes: dict[tuple[str, str, int, str], int] = {}
    for verdict in verdicts:
        key = (verdict.agent, verdict.file, verdict.line, verdict.rule)
        if verdict.stance == "agree":
            agrees[key].add(verdict.critic)
        else:
            disputes[key] = disputes.get(key, 0) + 1
    no_one: frozenset[str] = frozenset()
    candidates = []
    for order, report in enumerate(reports):
        agent = report.agent
        for finding in report.findings:
            key = (agent, finding.file, finding.line, finding.rule)
            here = places.get((finding.file, finding.line), no_one)
            backers = (here - {agent} if here else no_one) | agrees.get(key, no_one)
            weight = SEVERITY_WEIGHT[finding.severity] * 10 + AGREE_BONUS * len(backers)
            if disputes:
                weight -= DISPUTE_PENALTY * disputes.get(key, 0)
            candidates.append((-weight, order, finding.file, finding.line, agent, finding, backers))
    candidates.sort(key=lambda item: item[:4])
    top, per_rule = [], Counter[tuple[str, str]]()
    for item in candidates:
        rule = (item[4], item[5].rule)
        if per_rule[rule] < SAME_RULE_LIMIT:
            per_rule[rule] += 1
            top.append(item)
            if len(top) == limit:
                break
    return [
        RankedFinding(agent=agent, finding=finding, corroborated_by=tuple(sorted(backers)))
        for *_, agent, finding, backers in top
    ]


def ranking_key(ctx: AnalysisContext, reports: Sequence[AgentReport]) -> str:
    """Cache key of the top findings: every report's own key (or its status), the list length."""
    parts = [
        ctx.report_keys.get(r.agent, f"{r.agent}:{r.status}") for r in sorted(reports, key=lambda r: r.agent)
    ]
    return fingerprint.combine([*parts, str(ctx.settings.top_findings)])


def _critic(templates: dict[str, AgentTemplate]) -> Any:
    async def critic(ctx: AnalysisContext, own: AgentReport, others: list[AgentReport]) -> list[Verdict]:
        if ctx.cache.get_memo(ranking_key(ctx, [own, *others])) is not MISSING:
            return []  # the judge answers from the cache: no need to debate again
        template = templates[own.agent]
        verdicts: list[Verdict] = []
        for other in others:
            if other.status == "ok":
                verdicts += await template.critique(ctx, own, other)
        return verdicts

    return critic


async def _judge(ctx: AnalysisContext, reports: list[AgentReport], critiques: list[list[Verdict]]) -> Any:
    key = ranking_key(ctx, reports)
    cached = ctx.cache.get_memo(key)
    if cached is not MISSING:
        try:
            return reports, [ranked_from_row(row) for row in cached]
        except (TypeError, ValueError):
            ctx.cache.reject()
    verdicts = [v for critique in critiques for v in critique]
    ranked = rank_findings(reports, verdicts, ctx.settings.top_findings)
    if all(r.agent in ctx.report_keys or r.status == "unavailable" for r in reports):
        ctx.cache.put_memo(key, [ranked_to_row(r) for r in ranked])
    return reports, ranked


async def health_check(
    path: str,
    *,
    mode: str = "daily",
    agents: Sequence[str] = (),
    use_cache: bool = True,
    empathy: Empathy | None = None,
    settings: OrchestrateSettings | None = None,
    record_history: bool = True,
    offline: bool = False,
    provider: str | None = None,
) -> HealthReport:
    """Analyse the repository at ``path`` and return its :class:`HealthReport`.

    ``mode`` picks the agents whose ``modes`` include it, unless ``agents`` names them.
    ``empathy`` is the runtime whose plugins register the agents and whose configuration
    holds the settings (default: the process-wide ``Empathy.current()``); ``settings``
    overrides its ``OrchestrateSettings``.
    ``use_cache=False`` ignores and does not write cached results (history is still kept).
    With an API key configured (or an explicit ``provider``) and not ``offline``, an LLM
    adds a synthesis (:mod:`empathy_orchestrate.synthesis`).
    Raises :class:`RepositoryError` (exit 2) for a missing path or one without Python, and
    an :class:`EmpathyError` for an unknown mode or agent.
    """
    if mode not in MODES:
        raise EmpathyError(f"unknown mode {mode!r} (choose from: {', '.join(MODES)})", exit_code=2)
    started = time.perf_counter()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    if empathy is None:
        from empathy_core import Empathy

        empathy = Empathy.current()
    settings = settings if settings is not None else orchestrate_settings(empathy)
    templates = agent_templates(empathy)
    candidates = (
        pick_agents(templates, list(agents)) if agents else [t for t in templates.values() if mode in t.modes]
    )
    repo = scan(path, exclude=settings.exclude)
    ctx = AnalysisContext.open(repo, settings, use_cache=use_cache)
    by_name = {t.name: t for t in candidates}
    adaptive = Adaptive(
        candidates={t.name: functools.partial(run_agent, t) for t in candidates},
        reject=lambda c, name: by_name[name].applies(c.repo),
        combine=lambda steps: Debate(
            participants=steps,
            critic=_critic(templates),
            judge=_judge,
            max_concurrency=max(1, settings.max_agents),
        ),
    )
    try:
        selection = await adaptive.select(ctx)
        ctx.selected = frozenset(selection.chosen)
        reports, top = await adaptive.run(selection, ctx)
        report = HealthReport(
            repository=str(repo.root),
            mode=mode,
            score=mean_score(reports),
            agents=reports,
            top_findings=top,
            skipped=dict(selection.skipped),
            tools={
                name: ToolStats(runs=c.runs, files=c.files, cached_files=c.cached_files)
                for name, c in sorted(ctx.runner.counters.items())
            },
            files=len(repo.files),
            lines=ctx.lines_of(repo.files),
            started_at=started_at,
        )
        if synthesis.wanted(empathy, offline=offline, provider=provider):
            await synthesis.synthesize(report, empathy, ctx.cache, provider=provider)
    finally:
        await ctx.close()
    _trend(report, repo.key, f"agents:{','.join(agents)}" if agents else mode, record=record_history)
    report.duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return report


def _trend(report: HealthReport, key: str, selection: str, *, record: bool) -> None:
    """Compare with the previous run of the same selection (the mode, or the agents named)."""
    history = History(repository_dir(key))
    previous = history.previous(selection)
    if previous is not None:
        score = previous.get("score")
        report.previous_score = float(score) if isinstance(score, (int, float)) else None
        scores = previous.get("scores")
        if isinstance(scores, dict):
            report.previous_scores = {k: float(v) for k, v in scores.items() if isinstance(v, (int, float))}
    if record:
        history.append(
            selection, report.score, {r.agent: r.score for r in report.agents if r.score is not None}
        )
