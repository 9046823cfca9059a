"""Rich views for the ``runs`` commands. Values from the store are shown as plain text
(never parsed as rich markup)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from empathy_core import redact

if TYPE_CHECKING:
    from empathy_core import StageCheckpoint, WorkflowResult


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def cut(text: str, limit: int = 500) -> str:
    """``text`` redacted, at most ``limit`` characters."""
    text = redact(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def plain(value: Any) -> Text:
    return Text("" if value is None else str(value))


def when(moment: str | datetime | None) -> str:
    if moment is None:
        return "-"
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def runs_table(summaries: list[dict[str, Any]]) -> Table:
    table = Table(title=f"{len(summaries)} run(s)")
    for column in ("run id", "workflow", "status", "stages done", "cost $", "created", "updated", "owner"):
        table.add_column(column)
    for s in summaries:
        table.add_row(
            plain(s["run_id"]),
            plain(s["workflow"]),
            plain(s["status"]),
            str(s["stages_done"]),
            f"{s['cost']:.6f}",
            when(s["created_at"]),
            when(s["updated_at"]),
            plain(s["owner"] or "-"),
        )
    return table


def run_panel(summary: dict[str, Any], stages: list[StageCheckpoint], pending: list[str]) -> Group:
    table = Table(title=f"{summary['workflow']} (run {summary['run_id']}): {summary['status']}")
    for column in ("stage", "tier", "model", "calls", "tokens in", "tokens out", "cost $", "ms", "finished"):
        table.add_column(column)
    for c in stages:
        table.add_row(
            plain(c.stage),
            plain(c.tier),
            plain(c.model or "-"),
            str(c.calls),
            str(c.tokens_in),
            str(c.tokens_out),
            f"{c.cost:.6f}",
            f"{c.duration_ms:.0f}",
            when(c.finished_at),
        )
    for name in pending:
        table.add_row(plain(name), "-", "-", "-", "-", "-", "-", "-", "pending")
    totals = f"cost ${summary['cost']:.6f} over {summary['calls']} call(s), attempts {summary['attempts']}"
    lines = [Text(f"{totals}, created {when(summary['created_at'])}")]
    if summary.get("error"):
        lines.append(Text(f"error: {cut(summary['error'])}"))
    return Group(table, *lines)


def result_table(result: WorkflowResult) -> Group:
    table = Table(title=f"{result.workflow} (run {result.run_id})")
    for column in ("stage", "tier", "model", "status", "cost $", "note"):
        table.add_column(column)
    for s in result.stages:
        note = "from checkpoint" if s.reason.startswith("checkpoint:") else ""
        model = plain(s.model or "-")
        table.add_row(plain(s.name), s.tier.value, model, plain(s.status), f"{s.cost:.6f}", note)
    status = "success" if result.succeeded else f"{result.status}: {cut(result.error or '')}"
    return Group(table, Text(f"{status}; this attempt cost ${result.cost:.6f}, {result.duration_ms:.0f} ms"))
