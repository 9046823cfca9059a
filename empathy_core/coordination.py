"""The coordination and short-term memory contracts: records, one Protocol per role, checks.

Five backend roles carry agent coordination (:class:`~empathy_core.BackendRole`
``heartbeats``, ``signals``, ``events``, ``approvals``, ``memory``). A storage plugin
serves a role by registering ``register(scheme, role, factory)``; the runtime opens the
store with ``empathy.open_backend(role)`` at the URL :meth:`Empathy.backend_url
<empathy_core.Empathy.backend_url>` gives (``coordination.store``; else Redis when
``redis.enabled``; else SQLite under the cache directory). The facades users call
(``HeartbeatCoordinator``, ``CoordinationSignals``, ``EventStreamer``, ``ApprovalGate``,
``ShortTermMemory``) sit on these Protocols in the ``empathy-coordination`` plugin.

Stores are synchronous and thread-safe; every method either finishes within the store's
bounded timeout or raises :class:`~empathy_core.StorageError` naming the store. Every
identifier reaching a store has passed :func:`check_name` and every payload
:func:`check_payload`, so stores may use them in keys and trust them to be JSON.
Third-party stores prove themselves with the suites in
:mod:`empathy_core.testing.coordination_conformance`.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

import attrs

from empathy_core.paths import safe_identifier
from empathy_core.records import utcnow

MAX_PAYLOAD_BYTES = 256 * 1024
"""A signal, event, approval context or memory value is at most this much JSON."""

TERMINAL_STATUSES = frozenset({"success", "completed", "failed", "cancelled", "error"})
"""Heartbeat statuses after which an agent is finished, never stale."""

ApprovalStatus = Literal["pending", "approved", "rejected", "timeout"]


def check_name(value: Any, what: str) -> str:
    """``value`` if it is a safe agent id, key, namespace or event type, else ``ValueError``.

    Letters, digits, ``_ . -``, 1 to 128 characters, not starting with ``.`` or ``-``: no
    path separators, no Redis key-pattern characters (``* ? [ ] :``), no whitespace.
    """
    return safe_identifier(value, what=what)


def check_payload(payload: Any, what: str) -> dict[str, Any]:
    """A JSON-safe copy of mapping ``payload``, else ``ValueError`` naming ``what``.

    Refused: a non-mapping, non-string keys, values JSON cannot carry (objects, NaN,
    infinities), and more than :data:`MAX_PAYLOAD_BYTES` of JSON. Nothing refused is stored.
    """
    if payload is None:
        return {}
    if not isinstance(payload, Mapping):
        raise ValueError(f"{what} must be a mapping, got {type(payload).__name__}")
    if any(not isinstance(key, str) for key in payload):
        raise ValueError(f"{what} keys must be strings")
    try:
        text = json.dumps(payload, allow_nan=False, separators=(",", ":"), default=_refuse)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what} is not JSON: {exc}") from None
    if len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise ValueError(f"{what} is {len(text.encode()):,} bytes of JSON (at most {MAX_PAYLOAD_BYTES:,})")
    return json.loads(text)


def check_value(value: Any, what: str) -> Any:
    """A JSON-safe copy of any JSON value (memory values need not be mappings)."""
    return check_payload({"value": value}, what)["value"]


def check_seconds(value: Any, what: str, *, maximum: float = 366 * 86400.0) -> float:
    """``value`` as positive finite seconds (at most ``maximum``), else ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a number of seconds, got {value!r}")
    if not 0 < value <= maximum:
        raise ValueError(f"{what} must be more than 0 and at most {maximum:g} seconds, got {value!r}")
    return float(value)


def check_fraction(value: Any, what: str) -> float:
    """``value`` as a finite number in 0..1, else ``ValueError`` naming ``what`` and the value."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{what} must be a number from 0 to 1, got {value!r}")
    if not 0 <= value <= 1:
        raise ValueError(f"{what} must be from 0 to 1, got {value!r}")
    return float(value)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} values are not JSON")


def new_id() -> str:
    """A fresh identifier for a signal or an approval request."""
    return uuid.uuid4().hex


# -- records ---------------------------------------------------------------------------


@attrs.frozen
class Heartbeat:
    """An agent's latest beat. ``ttl`` seconds after ``last_beat`` a running agent is stale."""

    agent_id: str
    status: str = "starting"
    progress: float = 0.0
    current_stage: str | None = None
    metadata: dict[str, Any] = attrs.Factory(dict)
    started_at: datetime = attrs.Factory(utcnow)
    last_beat: datetime = attrs.Factory(utcnow)
    ttl: float = 30.0
    final_state: dict[str, Any] | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def is_stale(self, now: datetime | None = None) -> bool:
        """Not finished and silent for more than ``ttl`` seconds."""
        return not self.finished and (now or utcnow()) - self.last_beat > timedelta(seconds=self.ttl)


@attrs.frozen
class Signal:
    """A message from ``source_agent`` to ``target_agent`` (``None``: every agent)."""

    signal_type: str
    source_agent: str
    target_agent: str | None
    payload: dict[str, Any] = attrs.Factory(dict)
    timestamp: datetime = attrs.Factory(utcnow)
    ttl: float = 3600.0
    signal_id: str = attrs.Factory(new_id)


@attrs.frozen
class Event:
    """One published event; ``event_id`` is the store's, increasing within a store."""

    event_id: str
    event_type: str
    data: dict[str, Any]
    timestamp: datetime


@attrs.frozen
class ApprovalRequest:
    """A request for a human decision; unanswered after ``timeout`` seconds it is rejected."""

    approval_type: str
    agent_id: str
    context: dict[str, Any] = attrs.Factory(dict)
    timeout: float = 300.0
    requested_at: datetime = attrs.Factory(utcnow)
    request_id: str = attrs.Factory(new_id)
    status: ApprovalStatus = "pending"

    @property
    def deadline(self) -> datetime:
        return self.requested_at + timedelta(seconds=self.timeout)


@attrs.frozen
class ApprovalResponse:
    """The decision on a request. A timeout is a rejection with ``timed_out`` set."""

    request_id: str
    approved: bool
    responder: str | None = None
    reason: str = ""
    responded_at: datetime = attrs.Factory(utcnow)
    timed_out: bool = False

    @property
    def status(self) -> ApprovalStatus:
        return "timeout" if self.timed_out else "approved" if self.approved else "rejected"


# -- one Protocol per role ---------------------------------------------------------------


@runtime_checkable
class HeartbeatStore(Protocol):
    """Role ``heartbeats``: the latest :class:`Heartbeat` per agent.

    A beat is kept at least until ``last_beat + 10 * ttl`` (so stale agents can be listed)
    and may be dropped after; a new beat for the same agent replaces the old one.
    """

    def put_heartbeat(self, beat: Heartbeat) -> None: ...
    def get_heartbeat(self, agent_id: str) -> Heartbeat | None: ...
    def list_heartbeats(self) -> list[Heartbeat]:
        """Every kept beat, ordered by ``agent_id``."""
        ...

    def delete_heartbeat(self, agent_id: str) -> bool: ...
    def close(self) -> None: ...


@runtime_checkable
class SignalStore(Protocol):
    """Role ``signals``: messages between agents, each kept ``ttl`` seconds."""

    def send_signal(self, signal: Signal) -> None: ...
    def list_signals(
        self,
        target_agent: str | None = None,
        signal_types: Sequence[str] | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Signal]:
        """Unexpired signals, oldest first, at most ``limit`` (the newest ones).

        ``target_agent`` given: those addressed to it and broadcasts; ``None``: all.
        ``since``: only those with ``timestamp >= since``.
        """
        ...

    def close(self) -> None: ...


@runtime_checkable
class EventStore(Protocol):
    """Role ``events``: an append-only stream per event type, bounded to ``retention`` per type.

    Plain reads (:meth:`read_events`) fan out: every reader sees every event. Group reads
    (:meth:`read_group`) share the work: within a group each event goes to one consumer;
    it stays pending for that consumer until :meth:`ack_events`, and a pending event
    idle for ``claim_idle_ms`` is handed to the next consumer of the group that reads.
    """

    def publish_event(self, event_type: str, data: dict[str, Any], timestamp: datetime) -> Event: ...
    def recent_events(self, event_type: str | None = None, count: int = 100) -> list[Event]:
        """The newest ``count`` events (of ``event_type``; ``None``: every type), newest first."""
        ...

    def last_event_id(self) -> str:
        """A cursor for :meth:`read_events` meaning "after everything published so far"."""
        ...

    def read_events(
        self, event_types: Sequence[str] | None, after: str, block_ms: int, count: int
    ) -> list[Event]:
        """Events after cursor ``after`` (oldest first, at most ``count``), waiting up to
        ``block_ms`` for the first one (0: do not wait)."""
        ...

    def read_group(
        self,
        group: str,
        consumer: str,
        event_types: Sequence[str] | None,
        block_ms: int,
        count: int,
        claim_idle_ms: int = 30_000,
    ) -> list[Event]:
        """Up to ``count`` events for ``consumer``: first pending events idle for more than
        ``claim_idle_ms`` (claimed from any consumer), then new ones; a new group starts
        at the events published after it was created."""
        ...

    def ack_events(self, group: str, event_ids: Iterable[str]) -> int:
        """Acknowledge events of ``group``; returns how many were pending."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class ApprovalStore(Protocol):
    """Role ``approvals``: requests and the one decision each gets.

    :meth:`resolve` is a compare-and-set: the first response wins and is returned to every
    later caller. An approving response after the request's deadline is refused (the
    request is resolved as timed out instead), measured by the store's clock.
    """

    def create_request(self, request: ApprovalRequest) -> None: ...
    def get_request(self, request_id: str) -> ApprovalRequest | None:
        """The request with its current ``status``; ``None`` if unknown."""
        ...

    def pending_requests(self) -> list[ApprovalRequest]:
        """Requests still pending and before their deadline, oldest first."""
        ...

    def resolve(self, response: ApprovalResponse) -> ApprovalResponse:
        """Record ``response`` unless the request already has one; return the one it has.

        :class:`KeyError` for an unknown request id.
        """
        ...

    def wait_response(self, request_id: str, timeout: float) -> ApprovalResponse | None:
        """Block up to ``timeout`` seconds for the request's response (``None``: none yet)."""
        ...

    def close(self) -> None: ...


@runtime_checkable
class MemoryStore(Protocol):
    """Role ``memory``: JSON values by (namespace, key), optionally expiring after ``ttl`` seconds."""

    def set_value(self, namespace: str, key: str, value: Any, ttl: float | None = None) -> None: ...
    def get_value(self, namespace: str, key: str) -> Any | None:
        """The value, or ``None`` when absent or expired."""
        ...

    def delete_value(self, namespace: str, key: str) -> bool: ...
    def list_keys(self, namespace: str) -> list[str]:
        """Unexpired keys of ``namespace``, sorted."""
        ...

    def close(self) -> None: ...
