"""``empathy workflow``: list, describe and run workflows."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from empathy_core.cli import options


@click.group()
def workflow() -> None:
    """List, describe and run workflows."""


def _entries(ctx: click.Context) -> list[dict[str, Any]]:
    return options(ctx).catalog().get("workflows", [])


def _entry(ctx: click.Context, name: str) -> dict[str, Any]:
    entries = {e["name"]: e for e in _entries(ctx)}
    if name not in entries:
        import difflib

        hint = difflib.get_close_matches(name, list(entries), n=1)
        known = ", ".join(sorted(entries)) or "none installed"
        suggestion = f"; did you mean {hint[0]!r}?" if hint else f" (installed: {known})"
        raise click.BadParameter(f"no workflow named {name!r}{suggestion}", param_hint="NAME")
    return entries[name]


@workflow.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def list_workflows(ctx: click.Context, as_json: bool) -> None:
    """List installed workflows (answered from the index: no plugin is imported)."""
    entries = sorted(_entries(ctx), key=lambda e: e["name"])
    if as_json:
        click.echo(json.dumps(entries, indent=2))
        return
    if not entries:
        click.echo("No workflows installed. `empathy plugins install <plugin>` adds some.")
        return
    width = max(len(e["name"]) for e in entries)
    for e in entries:
        click.echo(f"{e['name']:<{width}}  {e['description']}  [{e['plugin']}]")


@workflow.command("describe")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def describe(ctx: click.Context, name: str, as_json: bool) -> None:
    """Show a workflow's stages and the tier each runs on."""
    entry = _entry(ctx, name)
    if as_json:
        click.echo(json.dumps(entry, indent=2))
        return
    click.echo(f"{entry['name']}: {entry['description']}")
    click.echo(f"plugin: {entry['plugin']}")
    for i, group in enumerate(entry["stages"], 1):
        together = " (concurrent)" if len(group) > 1 else ""
        stages = ", ".join(f"{s} [{entry['tiers'][s]}]" for s in group)
        click.echo(f"  {i}. {stages}{together}")


def parse_input(raw: str | None) -> dict[str, Any]:
    """``--input JSON|@FILE`` as a dict; every problem is one ``BadParameter`` (exit code 2).

    ``@FILE`` must be a regular UTF-8 file of at most 10 MiB (``/dev/zero`` or a FIFO is
    refused, never read); JSON nested too deeply for the parser is an error, not a crash.
    """
    if raw is None:
        return {}
    source = "--input"
    if raw.startswith("@"):
        from empathy_core.paths import MiB, PathError, read_text_bounded

        path = Path(raw[1:])
        try:
            raw = read_text_bounded(path, limit=10 * MiB, what="input file")
        except PathError as exc:
            raise click.BadParameter(exc.message, param_hint="--input") from None
        source = str(path)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise click.BadParameter(
            f"{source}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}",
            param_hint="--input",
        ) from None
    except RecursionError:
        raise click.BadParameter(f"{source}: JSON nested too deeply", param_hint="--input") from None
    if not isinstance(data, dict):
        raise click.BadParameter(f"{source}: expected a JSON object", param_hint="--input")
    return data


@workflow.command("run")
@click.argument("name")
@click.option("--input", "input_", metavar="JSON|@FILE", help="Workflow input as JSON or @file.")
@click.option("--provider", default=None, help="Provider name (default: config 'provider').")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def run(ctx: click.Context, name: str, input_: str | None, provider: str | None, as_json: bool) -> None:
    """Run a workflow; exits 1 when a stage failed."""
    import asyncio

    from empathy_core.serialize import to_dict

    data = parse_input(input_)
    _entry(ctx, name)
    empathy = options(ctx).empathy()
    cls = empathy.workflow(name)
    result = asyncio.run(cls(empathy=empathy, provider_name=provider).execute(data))
    if as_json:
        click.echo(json.dumps(to_dict(result), indent=2, default=str))
    else:
        _print_result(result)
    if not result.succeeded:
        ctx.exit(1)


def _print_result(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=f"{result.workflow} (run {result.run_id})")
    for column in ("stage", "tier", "model", "status", "tokens in", "tokens out", "cost $"):
        table.add_column(column)
    for s in result.stages:
        table.add_row(
            s.name,
            s.tier.value,
            s.model or "-",
            s.status,
            str(s.tokens_in),
            str(s.tokens_out),
            f"{s.cost:.6f}",
        )
    console.print(table)
    if result.succeeded:
        console.print(f"[green]success[/green]: cost ${result.cost:.6f}, {result.duration_ms:.0f} ms")
    else:
        console.print(f"[red]{result.status}[/red]: {result.error}")  # failed, partial, budget_exceeded...
