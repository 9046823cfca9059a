"""``empathy agents|approvals|events|signals ...``: the coordination store from the shell.

Every command works on the runtime it receives (:func:`~empathy_core.pass_empathy`), i.e.
on the configured coordination store. A malformed id, name or JSON payload and an
unknown approval request are one ``Error:`` line and exit code 2; store problems are
:class:`~empathy_core.StorageError` (one line, exit code 1).
"""

from __future__ import annotations

import getpass
import json
from typing import TYPE_CHECKING, Any

import click

from empathy_core import BoundedInt, EmpathyError, FiniteFloat, input_errors, pass_empathy, shorten, to_dict

if TYPE_CHECKING:
    from empathy_core import Empathy

COUNT = BoundedInt(1, 10_000, "events")
INTERVAL = FiniteFloat(0.1, 3600, "seconds")


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def default_responder() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


# -- agents ------------------------------------------------------------------------------


@click.command("list")
@click.option("--stale", is_flag=True, help="Only agents that stopped beating before finishing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
def agents_list(empathy: Empathy, stale: bool, as_json: bool) -> None:
    """Every agent's latest heartbeat."""
    from empathy_coordination.heartbeats import HeartbeatCoordinator

    coordinator = HeartbeatCoordinator(empathy=empathy)
    beats = coordinator.get_stale_agents() if stale else coordinator.get_all_agents()
    if as_json:
        echo_json([{**to_dict(beat), "stale": beat.is_stale()} for beat in beats])
        return
    from empathy_coordination.render import agents_table, console

    console().print(agents_table(beats))


@click.command("watch")
@click.option("--interval", type=INTERVAL, default=2.0, show_default=True, help="Seconds between refreshes.")
@click.option("--once", is_flag=True, help="Render one frame and exit.")
@pass_empathy
def agents_watch(empathy: Empathy, interval: float, once: bool) -> None:
    """A live view of heartbeats, recent signals and recent events (Ctrl-C ends it)."""
    from empathy_coordination.render import watch

    watch(empathy, interval, once=once)


# -- approvals ---------------------------------------------------------------------------


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
def approvals_list(empathy: Empathy, as_json: bool) -> None:
    """Approval requests still waiting for an answer, oldest first."""
    from empathy_coordination.approvals import ApprovalGate

    pending = ApprovalGate(empathy=empathy).get_pending_approvals()
    if as_json:
        echo_json(to_dict(pending))
        return
    from empathy_coordination.render import approvals_table, console

    console().print(approvals_table(pending))


def _answer(empathy: Empathy, request_id: str, approved: bool, responder: str | None, reason: str) -> None:
    from empathy_coordination.approvals import ApprovalGate

    recorded, ours = ApprovalGate(empathy=empathy).respond(
        request_id, approved, responder or default_responder(), reason
    )
    if not ours:
        by = f" by {recorded.responder}" if recorded.responder and not recorded.timed_out else ""
        raise EmpathyError(f"approval request {request_id} was already {recorded.status}{by}")
    click.echo(f"{recorded.status} {request_id}")


_responder_option = click.option("--responder", help="Who answers (default: the login name).")


@click.command("approve")
@click.argument("request_id")
@click.option("--reason", default="", help="Why (shown to the requester).")
@_responder_option
@pass_empathy
@input_errors
def approvals_approve(empathy: Empathy, request_id: str, reason: str, responder: str | None) -> None:
    """Approve the pending request REQUEST_ID."""
    _answer(empathy, request_id, True, responder, reason)


@click.command("reject")
@click.argument("request_id")
@click.option("--reason", required=True, help="Why (shown to the requester).")
@_responder_option
@pass_empathy
@input_errors
def approvals_reject(empathy: Empathy, request_id: str, reason: str, responder: str | None) -> None:
    """Reject the pending request REQUEST_ID."""
    _answer(empathy, request_id, False, responder, reason)


# -- events ------------------------------------------------------------------------------


@click.command("tail")
@click.option("--type", "event_types", multiple=True, help="Only this event type (repeatable).")
@click.option("--count", type=COUNT, default=20, show_default=True, help="Recent events to show first.")
@click.option("--follow", is_flag=True, help="Then print events as they are published (Ctrl-C ends it).")
@pass_empathy
@input_errors
def events_tail(empathy: Empathy, event_types: tuple[str, ...], count: int, follow: bool) -> None:
    """The most recent events, oldest first; with --follow, then new ones."""
    from empathy_coordination.events import EventStreamer
    from empathy_coordination.render import event_line

    streamer = EventStreamer(empathy=empathy)
    types = list(event_types) or None
    consumer = streamer.consume_events(types, block_ms=1000, count=100) if follow else None
    recent = [e for kind in types or [None] for e in streamer.get_recent_events(kind, count)]
    for event in sorted(recent, key=lambda e: e.timestamp)[-count:]:
        click.echo(event_line(event))
    if consumer is not None:
        with consumer:
            for event in consumer:
                click.echo(event_line(event))


# -- signals -----------------------------------------------------------------------------


def parse_payload(text: str | None) -> dict[str, Any] | None:
    """``--payload`` as a JSON object (checked again by the facade)."""
    if text is None:
        return None
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"--payload is not JSON ({exc}): {shorten(text)}") from None
    if not isinstance(payload, dict):
        raise ValueError(f"--payload must be a JSON object, got {shorten(text)}")
    return payload


@click.command("send")
@click.argument("signal_type")
@click.option("--to", "target", help="The receiving agent (default: every agent).")
@click.option("--payload", help="A JSON object to carry.")
@click.option("--from", "source", help="The sending agent (default: anonymous).")
@pass_empathy
@input_errors
def signals_send(
    empathy: Empathy, signal_type: str, target: str | None, payload: str | None, source: str | None
) -> None:
    """Send SIGNAL_TYPE to one agent or, without --to, to every agent."""
    from empathy_coordination.signals import CoordinationSignals

    data = parse_payload(payload)
    sent = CoordinationSignals(source, enable_streaming=True, empathy=empathy).signal(
        signal_type, target, data
    )
    click.echo(f"sent {sent.signal_type} {sent.signal_id} to {sent.target_agent or 'every agent'}")


@click.command("list")
@click.option("--agent", help="Only signals to this agent (and broadcasts).")
@click.option("--type", "signal_types", multiple=True, help="Only this signal type (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_empathy
@input_errors
def signals_list(empathy: Empathy, agent: str | None, signal_types: tuple[str, ...], as_json: bool) -> None:
    """Unexpired signals, oldest first."""
    from empathy_coordination.signals import CoordinationSignals

    found = CoordinationSignals(empathy=empathy).get_signals(agent, list(signal_types) or None)
    if as_json:
        echo_json(to_dict(found))
        return
    from empathy_coordination.render import console, signals_table

    console().print(signals_table(found))


COMMANDS: dict[str, list[click.Command]] = {
    "agents": [agents_list, agents_watch],
    "approvals": [approvals_list, approvals_approve, approvals_reject],
    "events": [events_tail],
    "signals": [signals_send, signals_list],
}
