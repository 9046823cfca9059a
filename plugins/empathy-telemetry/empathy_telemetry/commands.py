"""``empathy telemetry show|export|prune|reset`` and ``empathy cache stats``.

Every figure comes from :class:`~empathy_core.UsageTracker` on the runtime each command
receives (:func:`~empathy_core.pass_empathy`), i.e. from the one configured telemetry
store. Store problems are :class:`~empathy_core.StorageError`
(one line, non-zero exit, no traceback). Numbers are bounded (``--days`` 1-36500,
``--limit`` 0-100000) and an export format that cannot be told is a usage error (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from empathy_core import BoundedInt, EmpathyError, UsageTracker, pass_empathy, shorten

if TYPE_CHECKING:
    from empathy_core import Empathy

FORMATS = ("csv", "json")
MAX_DAYS = 36_500
MAX_LIMIT = 100_000
DAYS = BoundedInt(1, MAX_DAYS, "days")
LIMIT = BoundedInt(0, MAX_LIMIT, "calls")


def _days_option(default: int | None) -> Any:
    shown = f"default: {default}" if default else "default: all"
    return click.option(
        "--days", type=DAYS, default=default, help=f"Only the last N days, at most {MAX_DAYS} ({shown})."
    )


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


@click.group()
def telemetry() -> None:
    """Show, export, prune and reset LLM usage telemetry."""


@telemetry.command("show")
@_days_option(7)
@click.option(
    "--limit", type=LIMIT, default=20, show_default=True, help=f"Recent calls to list (0-{MAX_LIMIT})."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@pass_empathy
def show(empathy: Empathy, days: int, limit: int, as_json: bool) -> None:
    """Usage, cost and savings, then the most recent calls."""
    tracker = UsageTracker(empathy)
    stats = tracker.get_stats(days=days)
    entries = tracker.get_recent_entries(limit=limit, days=days)
    if as_json:
        _echo_json({"store": tracker.store.url, "stats": stats, "entries": entries})
        return
    from empathy_telemetry.render import print_show

    print_show(stats, entries, tracker.store.url)


@telemetry.command("export")
@click.argument("output", required=False, type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output_option", type=click.Path(dir_okay=False), help="File to write.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="csv or json (default: from the file extension; without one, telemetry.export_format).",
)
@_days_option(None)
@pass_empathy
def export(
    empathy: Empathy, output: str | None, output_option: str | None, fmt: str | None, days: int | None
) -> None:
    """Write every recorded call (of the last N days) to a CSV or JSON file.

    The format is ``--format``, else the file extension (``.csv`` or ``.json``), else, for a
    name without one, ``telemetry.export_format``; any other extension is an error (exit 2).
    """
    if output and output_option and output != output_option:
        raise click.UsageError("give the output file once: as an argument or with -o")
    target = output or output_option
    if not target:
        raise click.UsageError("missing output file: empathy telemetry export -o FILE")
    fmt = fmt or _format_of(target)
    tracker = UsageTracker(empathy)
    if fmt is None:
        fmt = tracker.config.telemetry.export_format
        if fmt not in FORMATS:
            raise EmpathyError(
                f"unknown export format {shorten(fmt)} (telemetry.export_format); "
                f"supported: {', '.join(FORMATS)}",
                exit_code=2,
            )
    write = tracker.export_to_csv if fmt == "csv" else tracker.export_to_json
    count = write(target, days=days)
    click.echo(f"Exported {count} call{'s' if count != 1 else ''} to {target} ({fmt}).")


def _format_of(target: str) -> str | None:
    """The format named by ``target``'s extension; ``None`` without one; exit 2 for another."""
    suffix = Path(target).suffix
    if not suffix:
        return None
    fmt = suffix[1:].lower()
    if fmt not in FORMATS:
        raise EmpathyError(
            f"cannot export to {shorten(target)}: unknown format {shorten(suffix)}; "
            f"supported: {', '.join(FORMATS)} (name the file .csv or .json, or pass --format)",
            exit_code=2,
        )
    return fmt


@telemetry.command("prune")
@click.option(
    "--days",
    type=DAYS,
    default=None,
    help=f"Keep the last N days, at most {MAX_DAYS} (default: telemetry.retention_days).",
)
@pass_empathy
def prune(empathy: Empathy, days: int | None) -> None:
    """Delete the recorded calls older than N days (default: telemetry.retention_days)."""
    tracker = UsageTracker(empathy)
    count = tracker.prune(days)
    kept = days if days is not None else tracker.config.telemetry.retention_days
    click.echo(
        f"Removed {count} recorded call{'s' if count != 1 else ''} older than {kept} "
        f"day{'s' if kept != 1 else ''} from {tracker.store.url}."
    )


@telemetry.command("reset")
@click.option("--yes", is_flag=True, help="Confirm deleting every recorded call.")
@pass_empathy
def reset(empathy: Empathy, yes: bool) -> None:
    """Delete every recorded call from the telemetry store (needs --yes)."""
    if not yes:
        raise click.UsageError("this deletes every recorded call; run again with --yes to confirm")
    tracker = UsageTracker(empathy)
    count = tracker.store.count()
    tracker.reset()
    click.echo(f"Deleted {count} recorded call{'s' if count != 1 else ''} from {tracker.store.url}.")


@click.command("stats")
@_days_option(7)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--verbose", "-v", is_flag=True, help="Also show every workflow.")
@pass_empathy
def cache_stats(empathy: Empathy, days: int, as_json: bool, verbose: bool) -> None:
    """Prompt-cache hit rate and the dollars it saved."""
    tracker = UsageTracker(empathy)
    stats = tracker.get_cache_stats(days=days)
    if as_json:
        _echo_json(stats)
        return
    from empathy_telemetry.render import print_cache_stats

    print_cache_stats(stats, verbose=verbose)
