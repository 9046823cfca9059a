"""Rich tables for the telemetry commands."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def _money(value: float) -> str:
    return f"${value:,.4f}"


def _console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def _breakdown(title: str, rows: dict[str, dict[str, Any]]) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("name", "calls", "failed", "cost", "avg/call", "cache hits", "tokens"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for name, row in rows.items():
        table.add_row(
            name,
            f"{row['calls']:,}",
            f"{row['failed_calls']:,}",
            _money(row["cost"]),
            _money(row["avg_cost_per_call"]),
            f"{row['cache_hit_rate']:.1f}%",
            f"{row['tokens']['total']:,}",
        )
    return table


def print_show(stats: dict[str, Any], entries: list[dict[str, Any]], store: str) -> None:
    """Summary, per-tier breakdown and recent calls."""
    console = _console()
    days = stats["days"]
    summary = Table(title=f"LLM usage, last {days} days ({store})", title_justify="left", show_header=False)
    summary.add_column("metric")
    summary.add_column("value", justify="right")
    tokens = stats["tokens"]
    rows = [
        ("Calls", f"{stats['total_calls']:,} ({stats['failed_calls']:,} failed)"),
        ("Total cost", _money(stats["total_cost"])),
        ("Avg cost per call", _money(stats["avg_cost_per_call"])),
        ("Tokens in / out", f"{tokens['input']:,} / {tokens['output']:,}"),
        ("Cache read / write tokens", f"{tokens['cache_read']:,} / {tokens['cache_write']:,}"),
        ("Cache hit rate", f"{stats['cache_hit_rate']:.1f}%"),
        ("Cache savings", _money(stats["cache_savings"])),
        (f"Cost if all on {stats['baseline_model']}", _money(stats["baseline_cost"])),
        ("Savings from tiering", f"{_money(stats['savings'])} ({stats['savings_percent']:.1f}%)"),
    ]
    for metric, value in rows:
        summary.add_row(metric, value)
    console.print(summary)
    if stats["by_tier"]:
        console.print(_breakdown("By tier", stats["by_tier"]))
        console.print(_breakdown("By workflow", stats["by_workflow"]))
    if stats["unpriced_models"]:
        console.print(f"No price for: {', '.join(stats['unpriced_models'])} (cache savings exclude them)")
    if not entries:
        console.print("No calls recorded in this period.")
        return
    calls: list[tuple[str, ...]] = [
        (
            e["timestamp"][5:19].replace("T", " "),
            f"{e['workflow']}/{e['stage']}",
            e["model"],
            f"{e['input_tokens'] + e['cache_read_tokens'] + e['cache_write_tokens']:,}",
            f"{e['output_tokens']:,}",
            _money(e["cost"]),
            "yes" if e["success"] else "no",
        )
        for e in entries
    ]
    recent = Table(title=f"Last {len(entries)} calls", title_justify="left")
    for i, column in enumerate(("time (UTC)", "workflow/stage", "model", "in", "out", "cost", "ok")):
        widest = max(len(column), *(len(row[i]) for row in calls))
        if column in ("workflow/stage", "model"):
            recent.add_column(column)  # may wrap on narrow terminals
        else:
            recent.add_column(column, justify="left" if i == 0 else "right", min_width=widest, no_wrap=True)
    for row in calls:
        recent.add_row(*row)
    console.print(recent)


def print_cache_stats(stats: dict[str, Any], *, verbose: bool) -> None:
    """Hit rate, tokens and savings; per workflow with ``verbose``."""
    console = _console()
    table = Table(title=f"Prompt cache, last {stats['days']} days", title_justify="left", show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_row("Calls", f"{stats['calls']:,}")
    table.add_row("Cache hits", f"{stats['hits']:,}")
    table.add_row("Hit rate", f"{stats['hit_rate']:.1%}")
    table.add_row("Tokens read from cache", f"{stats['cache_read_tokens']:,}")
    table.add_row("Tokens written to cache", f"{stats['cache_write_tokens']:,}")
    table.add_row("Savings vs no cache", _money(stats["savings"]))
    console.print(table)
    if verbose and stats["by_workflow"]:
        detail = Table(title="By workflow", title_justify="left")
        for column in ("workflow", "calls", "hits", "hit rate", "read tokens", "savings"):
            detail.add_column(column, justify="left" if column == "workflow" else "right")
        for name, row in stats["by_workflow"].items():
            detail.add_row(
                name,
                f"{row['calls']:,}",
                f"{row['hits']:,}",
                f"{row['hit_rate']:.1%}",
                f"{row['cache_read_tokens']:,}",
                _money(row["savings"]),
            )
        console.print(detail)
