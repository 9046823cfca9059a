"""``CoordinationSignals``: messages from one agent to another, or to every agent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from empathy_coordination.facade import Facade, check_agent, check_count
from empathy_core import Signal, check_name, check_payload, check_seconds

if TYPE_CHECKING:
    from empathy_core import Empathy, SignalStore

SIGNAL_EVENT = "coordination_signal"
DEFAULT_SIGNAL_TTL = 3600.0


class CoordinationSignals(Facade):
    """Signals sent as ``agent_id`` (``None``: ``anonymous``) and read for it.

    ``enable_streaming``: each signal sent is also published as a ``coordination_signal``
    event (data: ``signal_id, signal_type, source_agent, target_agent, payload``).
    """

    def __init__(
        self, agent_id: str | None = None, enable_streaming: bool = False, *, empathy: Empathy | None = None
    ) -> None:
        self.own_agent = None if agent_id is None else check_name(agent_id, "agent_id")
        self.agent_id = check_agent(agent_id)
        self.enable_streaming = bool(enable_streaming)
        super().__init__(empathy)

    @property
    def signals(self) -> SignalStore:
        store: SignalStore = self.store("signals")
        return store

    def signal(
        self,
        signal_type: str,
        target_agent: str | None,
        payload: dict[str, Any] | None = None,
        ttl: float = DEFAULT_SIGNAL_TTL,
    ) -> Signal:
        """Send ``signal_type`` to ``target_agent`` (``None``: every agent); kept ``ttl`` seconds."""
        sent = Signal(
            signal_type=check_name(signal_type, "signal_type"),
            source_agent=self.agent_id,
            target_agent=None if target_agent is None else check_name(target_agent, "target_agent"),
            payload=check_payload(payload, "payload"),
            ttl=check_seconds(ttl, "ttl"),
        )
        self.signals.send_signal(sent)
        if self.enable_streaming:
            self.publish(
                SIGNAL_EVENT,
                {
                    "signal_id": sent.signal_id,
                    "signal_type": sent.signal_type,
                    "source_agent": sent.source_agent,
                    "target_agent": sent.target_agent,
                    "payload": sent.payload,
                },
            )
        return sent

    def broadcast(
        self, signal_type: str, payload: dict[str, Any] | None = None, ttl: float = DEFAULT_SIGNAL_TTL
    ) -> Signal:
        """Send ``signal_type`` to every agent."""
        return self.signal(signal_type, None, payload, ttl)

    def get_signals(
        self,
        target_agent: str | None = None,
        signal_types: Sequence[str] | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Signal]:
        """Unexpired signals for ``target_agent`` (default: this agent; a facade built
        without ``agent_id``: every signal), broadcasts included, oldest first, at most
        ``limit`` (the newest). ``since``: only signals sent at or after it (a naive
        datetime is local time)."""
        target = self.own_agent if target_agent is None else check_name(target_agent, "target_agent")
        if isinstance(signal_types, str):
            raise ValueError("signal_types must be a list of signal types, not one string")
        types = None if signal_types is None else [check_name(t, "signal_types") for t in signal_types]
        if since is not None:
            if not isinstance(since, datetime):
                raise ValueError(f"since must be a datetime, got {type(since).__name__}")
            since = since.astimezone(UTC)  # a naive datetime is local time, as datetime.now() gives
        return self.signals.list_signals(target, types, since, check_count(limit, "limit"))
