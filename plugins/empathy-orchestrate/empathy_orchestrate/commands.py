"""``empathy orchestrate ...`` and ``empathy cache clear``.

Nothing here prompts: the commands are safe in CI and with stdin closed. Numeric options
are finite and bounded (``--timeout`` more than 0 and at most 86400 s, ``--min-coverage``
0-100 %, the gates 0-1000000): anything else is a one-line usage error, exit 2.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from empathy_core import BoundedInt, FiniteFloat, pass_empathy
from empathy_orchestrate.healthcheck import MODES

if TYPE_CHECKING:
    from empathy_core import Empathy

MAX_TIMEOUT = 86_400.0
MAX_GATE = 1_000_000
TIMEOUT = FiniteFloat(0, MAX_TIMEOUT, "seconds", min_open=True)


def _console() -> Any:
    from rich.console import Console

    width = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 120
    return Console(width=width, highlight=False)


def _titles(empathy: Empathy) -> dict[str, str]:
    from empathy_orchestrate.registry import agent_templates

    return {name: t.title or name for name, t in agent_templates(empathy).items()}


def _settings(empathy: Empathy, timeout: float | None) -> Any:
    import attrs

    from empathy_orchestrate.registry import orchestrate_settings

    settings = orchestrate_settings(empathy)
    return attrs.evolve(settings, timeout=timeout, timeouts={}) if timeout is not None else settings


@click.group()
def orchestrate() -> None:
    """Analysis agents and composition patterns: health-check and release-prep."""


@orchestrate.command("health-check")
@click.argument("path", default=".", type=click.Path(file_okay=True, dir_okay=True))
@click.option(
    "--mode", type=click.Choice(MODES), default="daily", show_default=True, help="Which agents run."
)
@click.option("--agent", "agents", multiple=True, help="Run only this agent (repeatable); overrides --mode.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-cache", is_flag=True, help="Ignore cached results and do not store new ones.")
@click.option("--timeout", type=TIMEOUT, help="Seconds per agent, at most 86400 (default 600).")
@click.option("--offline", is_flag=True, help="Never call an LLM, even with an API key configured.")
@click.option("--provider", help="LLM provider for the synthesis (default: the configured one).")
@pass_empathy
def health_check_cmd(
    empathy: Empathy,
    path: str,
    mode: str,
    agents: tuple[str, ...],
    as_json: bool,
    no_cache: bool,
    timeout: float | None,
    offline: bool,
    provider: str | None,
) -> None:
    """Score the repository at PATH with real analysers running in parallel.

    Daily: security, coverage, quality, types. Weekly adds docs, performance and
    architecture; release adds refactoring. A second run on an unchanged tree answers
    from the incremental cache. With an API key (and without --offline) an LLM adds a
    synthesis. Exits 0 whatever the score; 2 for a bad PATH.
    """
    from empathy_orchestrate.healthcheck import health_check
    from empathy_orchestrate.render import health_json, print_health

    report = asyncio.run(
        health_check(
            path,
            mode=mode,
            agents=agents,
            use_cache=not no_cache,
            empathy=empathy,
            settings=_settings(empathy, timeout),
            offline=offline,
            provider=provider,
        )
    )
    if as_json:
        click.echo(json.dumps(health_json(report), indent=2))
    else:
        print_health(report, _console(), _titles(empathy))


@orchestrate.command("release-prep")
@click.argument("path", default=".", type=click.Path(file_okay=True, dir_okay=True))
@click.option(
    "--min-coverage",
    type=FiniteFloat(0, 100, "percent"),
    default=80.0,
    show_default=True,
    help="Coverage gate (%).",
)
@click.option(
    "--max-type-errors",
    type=BoundedInt(0, MAX_GATE, "type errors"),
    default=0,
    show_default=True,
    help="Types gate.",
)
@click.option(
    "--max-lint-issues",
    type=BoundedInt(0, MAX_GATE, "lint issues"),
    default=0,
    show_default=True,
    help="Lint gate.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--no-cache", is_flag=True, help="Ignore cached results and do not store new ones.")
@click.option("--timeout", type=TIMEOUT, help="Seconds per agent, at most 86400 (default 600).")
@pass_empathy
@click.pass_context
def release_prep_cmd(
    ctx: click.Context,
    empathy: Empathy,
    path: str,
    min_coverage: float,
    max_type_errors: int,
    max_lint_issues: int,
    as_json: bool,
    no_cache: bool,
    timeout: float | None,
) -> None:
    """Check the release gates on PATH: coverage, security, types, lint.

    Exits 1 when a gate fails (a gate that could not be measured fails too), 0 when all pass.
    """
    from empathy_orchestrate.release import release_prep
    from empathy_orchestrate.render import print_release, release_json

    report = asyncio.run(
        release_prep(
            path,
            min_coverage=min_coverage,
            max_type_errors=max_type_errors,
            max_lint_issues=max_lint_issues,
            use_cache=not no_cache,
            empathy=empathy,
            settings=_settings(empathy, timeout),
        )
    )
    if as_json:
        click.echo(json.dumps(release_json(report), indent=2))
    else:
        print_release(report, _console(), _titles(empathy))
    if not report.passed:
        ctx.exit(1)


@orchestrate.command("agents")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_empathy
def agents_cmd(empathy: Empathy, as_json: bool) -> None:
    """List the registered agent templates, their tools and modes."""
    from empathy_orchestrate.registry import agent_owners, agent_templates

    templates = agent_templates(empathy)
    owners = agent_owners(empathy)
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "title": t.title,
            "description": t.description,
            "tools": t.tool_versions() or f"{t.tool_label()} (not installed)",
            "modes": sorted(t.modes),
            "plugin": owners.get(name),
        }
        for name, t in templates.items()
    ]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['description']}  [{r['tools']}; {', '.join(r['modes'])}]")


@orchestrate.command("patterns")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_empathy
def patterns_cmd(empathy: Empathy, as_json: bool) -> None:
    """List the registered composition patterns."""
    from empathy_orchestrate.registry import patterns

    rows = [{"name": name, "description": cls.description} for name, cls in patterns(empathy).items()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r["name"]) for r in rows), default=0)
    for r in rows:
        click.echo(f"{r['name']:<{width}}  {r['description']}")


@click.command("clear")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
def cache_clear(path: str | None) -> None:
    """Delete cached analysis results (of PATH's repository only, when given)."""
    from pathlib import Path

    from empathy_orchestrate import cache
    from empathy_orchestrate.layout import repository_key

    key = repository_key(Path(path)) if path else None
    freed = cache.clear(key)
    where = f"for {path}" if path else "for every repository"
    click.echo(
        f"Cleared cached analysis results {where} ({freed / 1024:.1f} KiB) under {cache.orchestrate_dir()}"
    )
