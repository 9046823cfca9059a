"""Rich views for the coordination commands: tables and the live ``agents watch`` frame.

Values from the store are shown as plain text (never parsed as rich markup).
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from empathy_core import shorten, utcnow

if TYPE_CHECKING:
    from empathy_core import ApprovalRequest, Empathy, Event, Heartbeat, Signal

WATCH_ROWS = 10
"""Signals and events shown by ``agents watch``."""


def console() -> Console:
    return Console(highlight=False, soft_wrap=False)


def plain(value: Any) -> Text:
    return Text("" if value is None else str(value))


def when(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def compact(data: Any, limit: int = 80) -> str:
    return shorten(json.dumps(data, separators=(",", ":"), default=str), limit)


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in ("progress", "timeout") else "left")
    return table


def agents_table(beats: list[Heartbeat]) -> Table:
    table = _table(f"Agents ({len(beats)})", "agent", "status", "progress", "stage", "last beat", "")
    now = utcnow()
    for beat in beats:
        flag = Text("stale", style="bold red") if beat.is_stale(now) else Text("")
        table.add_row(
            plain(beat.agent_id),
            plain(beat.status),
            f"{beat.progress:.0%}",
            plain(beat.current_stage or "-"),
            when(beat.last_beat),
            flag,
        )
    return table


def approvals_table(requests: list[ApprovalRequest]) -> Table:
    table = _table(f"Pending approvals ({len(requests)})", "id", "type", "agent", "deadline", "context")
    for request in requests:
        table.add_row(
            plain(request.request_id),
            plain(request.approval_type),
            plain(request.agent_id),
            when(request.deadline),
            plain(compact(request.context)),
        )
    return table


def signals_table(signals: list[Signal], title: str = "Signals") -> Table:
    table = _table(f"{title} ({len(signals)})", "time", "type", "from", "to", "payload")
    for signal in signals:
        table.add_row(
            when(signal.timestamp),
            plain(signal.signal_type),
            plain(signal.source_agent),
            plain(signal.target_agent or "all"),
            plain(compact(signal.payload)),
        )
    return table


def events_table(events: list[Event], title: str = "Recent events") -> Table:
    table = _table(f"{title} ({len(events)})", "time", "type", "data")
    for event in events:
        table.add_row(when(event.timestamp), plain(event.event_type), plain(compact(event.data, 100)))
    return table


def event_line(event: Event) -> str:
    """One event as one line: ``<local time> <type> <data as JSON>``."""
    return f"{when(event.timestamp)} {event.event_type} {json.dumps(event.data, default=str)}"


def frame(empathy: Empathy) -> Group:
    """What ``agents watch`` shows: every agent, then the latest signals and events."""
    from empathy_coordination.events import EventStreamer
    from empathy_coordination.heartbeats import HeartbeatCoordinator
    from empathy_coordination.signals import CoordinationSignals

    beats = HeartbeatCoordinator(empathy=empathy).get_all_agents()
    signals = CoordinationSignals(empathy=empathy).get_signals(limit=WATCH_ROWS)
    events = EventStreamer(empathy=empathy).get_recent_events(count=WATCH_ROWS)
    return Group(
        agents_table(beats),
        signals_table(signals, "Latest signals"),
        events_table(list(reversed(events)), "Latest events"),
    )


def watch(empathy: Empathy, interval: float, *, once: bool = False) -> None:
    """Render :func:`frame` once, or live every ``interval`` seconds until interrupted."""
    out = console()
    if once:
        out.print(frame(empathy))
        return
    with Live(frame(empathy), console=out, refresh_per_second=max(1.0, 1 / interval), screen=False) as live:
        while True:
            time.sleep(interval)
            live.update(frame(empathy))
