"""Rich rendering of health and release reports, and their JSON form."""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from empathy_core import to_dict
from empathy_orchestrate.records import AgentReport, HealthReport, ReleaseReport

SEVERITY_STYLE = {"high": "bold red", "medium": "yellow", "low": "dim"}
STATUS_STYLE = {"ok": "green", "unavailable": "dim", "error": "red", "timeout": "magenta"}


def score_style(score: float | None) -> str:
    """Green from 80, yellow from 60, red below; dim without a score."""
    if score is None:
        return "dim"
    return "bold green" if score >= 80 else "bold yellow" if score >= 60 else "bold red"


def _score(score: float | None) -> Text:
    return Text("—" if score is None else f"{score:.1f}", style=score_style(score))


def _trend(now: float | None, before: float | None) -> Text:
    if now is None or before is None:
        return Text("new" if before is None and now is not None else "", style="dim")
    delta = round(now - before, 1)
    if delta > 0:
        return Text(f"▲ +{delta:.1f}", style="green")
    if delta < 0:
        return Text(f"▼ {delta:.1f}", style="red")
    return Text("= 0.0", style="dim")


def _duration(report: AgentReport) -> str:
    seconds = report.duration_ms / 1000
    text = f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.0f} s"
    return f"{text} (cached)" if report.from_cache else text


def health_renderable(report: HealthReport, titles: dict[str, str] | None = None) -> Group:
    """The health report as rich renderables: headline, areas table, top findings, tools."""
    titles = titles or {}
    headline = Text.assemble(
        ("Overall score ", "bold"),
        _score(report.score),
        (" / 100   ", "dim"),
        _trend(report.score, report.previous_score),
        (
            f"   since previous {report.mode} run ({report.previous_score:.1f})"
            if report.previous_score is not None
            else "   first run in this mode",
            "dim",
        ),
    )
    areas = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False)
    for column, options in (
        ("Area", {"style": "bold", "no_wrap": True}),
        ("Score", {"justify": "right"}),
        ("Trend", {"no_wrap": True}),
        ("Status", {}),
        ("Summary", {"ratio": 1}),
        ("Tool", {"style": "dim"}),
        ("Time", {"justify": "right", "style": "dim", "no_wrap": True}),
    ):
        areas.add_column(column, **options)
    for agent in report.agents:
        areas.add_row(
            titles.get(agent.agent, agent.agent),
            _score(agent.score),
            _trend(agent.score, report.previous_scores.get(agent.agent)),
            Text(agent.status, style=STATUS_STYLE.get(agent.status, "")),
            agent.summary,
            agent.tool_version or agent.tool,
            _duration(agent),
        )
    for name, reason in report.skipped.items():
        areas.add_row(titles.get(name, name), _score(None), "", Text("skipped", style="dim"), reason, "", "")
    parts: list[Any] = [headline, areas]
    if report.top_findings:
        top = Table(
            title="Top findings", title_justify="left", box=box.SIMPLE_HEAD, expand=True, show_edge=False
        )
        top.add_column("Severity", no_wrap=True)
        top.add_column("Area", no_wrap=True)
        top.add_column("Finding", ratio=1)
        for ranked in report.top_findings:
            f = ranked.finding
            finding = Text.assemble((f.location(), "cyan"), "  ", (f.rule, "bold"), "\n", f.message)
            if ranked.corroborated_by:
                finding.append(f"  (also flagged by: {', '.join(ranked.corroborated_by)})", style="dim")
            top.add_row(
                Text(f.severity, style=SEVERITY_STYLE[f.severity]),
                titles.get(ranked.agent, ranked.agent),
                finding,
            )
        parts.append(top)
    runs = [
        f"{name} {s.runs}x on {s.files} files"
        if s.runs
        else f"{name} cached"
        if s.cached_files
        else f"{name} not run"
        for name, s in report.tools.items()
    ]
    parts.append(
        Text(
            f"{report.files:,} Python files, {report.lines:,} lines, {report.duration_ms / 1000:.2f} s. "
            f"Tools: {', '.join(runs) or 'none'}",
            style="dim",
        )
    )
    if report.synthesis:
        parts.append(Panel(report.synthesis, title="Synthesis (LLM)", title_align="left"))
    elif report.synthesis_error:
        parts.append(Text(f"LLM synthesis unavailable: {report.synthesis_error}", style="yellow"))
    return Group(*parts)


def _escape(text: str) -> str:
    return text.replace("[", r"\[")


def print_health(report: HealthReport, console: Console, titles: dict[str, str] | None = None) -> None:
    """Print the health report in a panel titled with the repository and mode."""
    console.print(
        Panel(
            health_renderable(report, titles),
            title=f"[bold]Health check[/bold] {report.repository} [dim]({report.mode})[/dim]",
            title_align="left",
        )
    )


def print_release(report: ReleaseReport, console: Console, titles: dict[str, str] | None = None) -> None:
    """Print the gates table with a verdict, then the underlying health report."""
    table = Table(box=box.SIMPLE_HEAD, expand=True, show_edge=False)
    for column in ("Gate", "Result", "Required", "Actual", "Detail"):
        table.add_column(column, ratio=1 if column == "Detail" else None)
    for gate in report.gates:
        table.add_row(
            gate.name,
            Text("PASS" if gate.passed else "FAIL", style="bold green" if gate.passed else "bold red"),
            gate.required,
            gate.actual,
            _escape(gate.detail),
        )
    verdict = (
        Text("Ready to release: every gate passed.", style="bold green")
        if report.passed
        else Text(
            f"Not ready: {sum(not g.passed for g in report.gates)} of {len(report.gates)} gates failed.",
            style="bold red",
        )
    )
    console.print(
        Panel(
            Group(table, verdict),
            title=f"[bold]Release prep[/bold] {report.repository}",
            title_align="left",
        )
    )
    print_health(report.health, console, titles)


def health_json(report: HealthReport) -> dict[str, Any]:
    """JSON-ready health report (records via cattrs) with the derived trend."""
    data = to_dict(report)
    data["trend"] = report.trend
    return data


def release_json(report: ReleaseReport) -> dict[str, Any]:
    """JSON-ready release report with the overall verdict."""
    data = to_dict(report)
    data["passed"] = report.passed
    data["health"] = health_json(report.health)
    return data
