"""``EventStreamer``: publish events, tail them (every reader sees every event) or share
them in a consumer group (each event to one consumer, acknowledged after it was handled)."""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from empathy_coordination.facade import Facade, check_count, safe_name
from empathy_core import check_name, check_payload

if TYPE_CHECKING:
    from empathy_core import Empathy, Event, EventStore

MAX_BLOCK_MS = 3_600_000


def default_consumer() -> str:
    """This process's consumer name in a group: ``<hostname>-<pid>``."""
    return safe_name(f"{socket.gethostname()}-{os.getpid()}", "consumer")


def check_event_types(event_types: Sequence[str] | None) -> list[str] | None:
    if event_types is None:
        return None
    if isinstance(event_types, str):
        raise ValueError("event_types must be a list of event types, not one string")
    return [check_name(t, "event_types") for t in event_types]


def check_milliseconds(value: Any, what: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_BLOCK_MS:
        raise ValueError(
            f"{what} must be whole milliseconds from {minimum} to {MAX_BLOCK_MS:,}, got {value!r}"
        )
    return value


class EventConsumer(Iterator["Event"]):
    """A blocking iterator of events (see :meth:`EventStreamer.consume_events`).

    Its position is taken when it is made: a tail starts after the events published so
    far; a group exists (and starts after them, when new) from then on. In a group the
    events handed out are acknowledged together (one store call) when the loop asks for
    an event after the last one read, or the consumer is closed; events read but not
    acknowledged (a consumer that died mid-batch) stay pending and go to another consumer
    of the group after ``claim_idle_ms``: at least once. Use it as a context manager or call :meth:`close`.
    """

    def __init__(
        self,
        store: EventStore,
        event_types: list[str] | None,
        block_ms: int,
        count: int,
        group: str | None,
        consumer: str,
        claim_idle_ms: int,
        until_idle: bool,
    ) -> None:
        self.store, self.event_types, self.block_ms, self.count = store, event_types, block_ms, count
        self.group, self.consumer, self.claim_idle_ms, self.until_idle = (
            group,
            consumer,
            claim_idle_ms,
            until_idle,
        )
        self._buffer: deque[Event] = deque()
        self._unacked: list[str] = []
        self._closed = False
        self._cursor = store.last_event_id() if group is None else ""
        if group is not None:
            self._buffer.extend(self._read(0))  # creates the group now

    def _read(self, block_ms: int) -> list[Event]:
        if self.group is not None:
            return self.store.read_group(
                self.group, self.consumer, self.event_types, block_ms, self.count, self.claim_idle_ms
            )
        events = self.store.read_events(self.event_types, self._cursor, block_ms, self.count)
        if events:
            self._cursor = events[-1].event_id
        return events

    def _ack(self) -> None:
        """Acknowledge every event handed out since the last read (one store call)."""
        if self._unacked and self.group is not None:
            self.store.ack_events(self.group, self._unacked)
        self._unacked = []

    def __iter__(self) -> EventConsumer:
        return self

    def __next__(self) -> Event:
        while not self._buffer:
            self._ack()
            if self._closed:
                raise StopIteration
            events = self._read(self.block_ms)
            if not events and self.until_idle:
                self.close()
                raise StopIteration
            self._buffer.extend(events)
        event = self._buffer.popleft()
        if self.group is not None:
            self._unacked.append(event.event_id)
        return event

    def close(self) -> None:
        """Acknowledge the events handed out and stop."""
        self._ack()
        self._closed = True

    def __enter__(self) -> EventConsumer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class EventStreamer(Facade):
    """Events over the runtime's ``events`` store."""

    def __init__(self, *, empathy: Empathy | None = None) -> None:
        super().__init__(empathy)

    def publish_event(self, event_type: str, data: dict[str, Any] | None = None) -> str:
        """Publish ``data`` as an ``event_type`` event; returns its id."""
        return self.publish(check_name(event_type, "event_type"), check_payload(data, "data"))

    def consume_events(
        self,
        event_types: Sequence[str] | None = None,
        block_ms: int = 5000,
        count: int = 10,
        *,
        group: str | None = None,
        consumer: str | None = None,
        claim_idle_ms: int = 30_000,
        until_idle: bool = False,
    ) -> EventConsumer:
        """Events of ``event_types`` (``None``: every type) as they are published.

        Without ``group``: every event published after this call (each reader sees them
        all). With ``group``: the group's events shared between its consumers (``consumer``
        default ``<hostname>-<pid>``), each at least once. Each read waits up to
        ``block_ms`` and takes up to ``count`` events; the iterator runs until closed, or,
        with ``until_idle``, until a read brings nothing.
        """
        types = check_event_types(event_types)
        block_ms = check_milliseconds(block_ms, "block_ms")
        if block_ms == 0 and not until_idle:
            raise ValueError("block_ms=0 never waits: use it with until_idle=True")
        return EventConsumer(
            self.events,
            types,
            block_ms,
            check_count(count, "count", 10_000),
            None if group is None else check_name(group, "group"),
            default_consumer() if consumer is None else check_name(consumer, "consumer"),
            check_milliseconds(claim_idle_ms, "claim_idle_ms", minimum=1),
            bool(until_idle),
        )

    def get_recent_events(self, event_type: str | None = None, count: int = 100) -> list[Event]:
        """The newest ``count`` events (of ``event_type``; ``None``: every type), newest first."""
        kind = None if event_type is None else check_name(event_type, "event_type")
        return self.events.recent_events(kind, check_count(count, "count"))
