"""Rich tables of the routing and feedback commands."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table


def console() -> Console:
    return Console(soft_wrap=False)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _usd(value: float | None) -> str:
    return "-" if value is None else f"${value:.4f}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms"


def stats_table(stats: dict[str, Any]) -> Table:
    scope = stats["workflow"] + (f"/{stats['stage']}" if stats["stage"] else "")
    table = Table(
        title=f"Routing of {scope}, last {stats['days']:g} days: {stats['total_calls']} calls, "
        f"{_usd(stats['total_cost'])}, {_pct(stats['avg_success_rate'])} succeeded"
    )
    for column in ("stage", "model", "tier", "calls", "success", "avg cost", "avg latency", "quality score"):
        table.add_column(column, justify="right" if column not in ("stage", "model", "tier") else "left")
    for stage, models in stats["by_stage"].items():
        for model, s in models.items():
            table.add_row(
                stage,
                model,
                s["tier"],
                str(s["calls"]),
                _pct(s["success_rate"]),
                _usd(s["avg_cost"]),
                _ms(s["avg_latency_ms"]),
                f"{s['quality_score']:.1f}",
            )
    if not stats["by_stage"]:
        table.add_row("-", "no calls recorded", "", "", "", "", "", "")
    return table


def check_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Tier recommendations")
    for column in ("workflow", "stage", "tier", "recent calls", "action", "reason"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["workflow"], row["stage"], row["tier"], str(row["recent_calls"]), row["action"], row["reason"]
        )
    if not rows:
        table.add_row("-", "-", "-", "0", "keep", "no routing history yet")
    return table


def models_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="Models")
    for column in (
        "model",
        "tiers",
        "input $/Mtok",
        "output $/Mtok",
        "calls",
        "success",
        "avg latency",
        "avg cost",
    ):
        table.add_column(column, justify="left" if column in ("model", "tiers") else "right")
    for row in rows:
        price_in = "-" if row["input_per_mtok"] is None else f"{row['input_per_mtok']:g}"
        price_out = "-" if row["output_per_mtok"] is None else f"{row['output_per_mtok']:g}"
        table.add_row(
            row["model"],
            ", ".join(row["tiers"]) or "-",
            price_in,
            price_out,
            str(row["calls"]),
            _pct(row["success_rate"]),
            _ms(row["avg_latency_ms"]),
            _usd(row["avg_cost"]),
        )
    return table


def feedback_table(workflow: str, stage: str, rows: list[dict[str, Any]]) -> Table:
    table = Table(title=f"Feedback on {workflow}/{stage}")
    for column in ("tier", "scores", "mean", "min", "max", "trend", "recommended", "reason"):
        table.add_column(column)
    for row in rows:
        advice = row["recommendation"]
        trend = "up" if row["recent_trend"] > 0 else "down" if row["recent_trend"] < 0 else "flat"
        table.add_row(
            row["tier"],
            str(row["sample_count"]),
            f"{row['avg_quality']:.2f}",
            f"{row['min_quality']:.2f}",
            f"{row['max_quality']:.2f}",
            trend,
            advice["recommended_tier"],
            advice["reason"],
        )
    if not rows:
        table.add_row("-", "0", "-", "-", "-", "-", "-", "no feedback recorded")
    return table
