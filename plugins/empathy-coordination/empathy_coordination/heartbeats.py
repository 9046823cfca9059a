"""``HeartbeatCoordinator``: one agent's lifecycle (start, beats, completion) and every agent's view."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import attrs

from empathy_coordination.facade import Facade, check_optional_name
from empathy_core import Heartbeat, check_fraction, check_name, check_payload, check_seconds, to_dict, utcnow

if TYPE_CHECKING:
    from empathy_core import Empathy, HeartbeatStore

HEARTBEAT_EVENT = "agent_heartbeat"
HEARTBEAT_FIELDS = ("agent_id", "status", "progress", "current_stage", "metadata", "final_state", "last_beat")
"""What an ``agent_heartbeat`` event's data holds."""


class HeartbeatCoordinator(Facade):
    """Beats for the agent given to :meth:`start_heartbeat`; lists every agent's latest beat.

    ``ttl`` (default ``coordination.heartbeat_ttl``): seconds without a beat after which a
    running agent is stale. ``enable_streaming``: every beat (start and completion
    included) is also published as an ``agent_heartbeat`` event whose data holds
    ``agent_id, status, progress, current_stage, metadata``. Thread-safe.
    """

    def __init__(
        self, enable_streaming: bool = False, *, empathy: Empathy | None = None, ttl: float | None = None
    ) -> None:
        super().__init__(empathy)
        self.enable_streaming = bool(enable_streaming)
        self.ttl = check_seconds(
            self.empathy.config.coordination.heartbeat_ttl if ttl is None else ttl, "ttl", maximum=86400
        )
        self._beat: Heartbeat | None = None
        self._lock = threading.RLock()

    @property
    def heartbeats(self) -> HeartbeatStore:
        store: HeartbeatStore = self.store("heartbeats")
        return store

    @property
    def agent_id(self) -> str | None:
        """The agent this coordinator beats for (``None`` before :meth:`start_heartbeat`)."""
        return None if self._beat is None else self._beat.agent_id

    def start_heartbeat(self, agent_id: str, metadata: dict[str, Any] | None = None) -> Heartbeat:
        """Start beating for ``agent_id`` (status ``starting``, progress 0)."""
        beat = Heartbeat(
            check_name(agent_id, "agent_id"), metadata=check_payload(metadata, "metadata"), ttl=self.ttl
        )
        return self._put(beat)

    def beat(
        self, status: str = "running", progress: float = 0.0, current_stage: str | None = None
    ) -> Heartbeat:
        """Record that the agent is alive, with its ``status``, ``progress`` (0..1) and stage."""
        changes = {
            "status": check_name(status, "status"),
            "progress": check_fraction(progress, "progress"),
            "current_stage": check_optional_name(current_stage, "current_stage"),
        }
        return self._next(**changes)

    def complete(self, status: str = "success", final_state: dict[str, Any] | None = None) -> Heartbeat:
        """Record the agent's last beat: ``status`` (``success``, ``failed`` ...) and ``final_state``."""
        changes = {
            "status": check_name(status, "status"),
            "final_state": check_payload(final_state, "final_state"),
        }
        if changes["status"] in ("success", "completed"):
            changes["progress"] = 1.0
        return self._next(**changes)

    def touch(self) -> Heartbeat:
        """Beat again with the status, progress and stage of the last beat (a keep-alive)."""
        return self._next()

    def _next(self, **changes: Any) -> Heartbeat:
        with self._lock:
            if self._beat is None:
                raise RuntimeError("call start_heartbeat(agent_id) before beat() or complete()")
            return self._put(attrs.evolve(self._beat, last_beat=utcnow(), **changes))

    def _put(self, beat: Heartbeat) -> Heartbeat:
        with self._lock:  # one beat at a time, so a late keep-alive never undoes a completion
            self.heartbeats.put_heartbeat(beat)
            self._beat = beat
        if self.enable_streaming:
            data = to_dict(beat)
            self.publish(HEARTBEAT_EVENT, {key: data[key] for key in HEARTBEAT_FIELDS})
        return beat

    # -- every agent ---------------------------------------------------------------------

    def get_all_agents(self) -> list[Heartbeat]:
        """Every kept beat, ordered by agent id."""
        return self.heartbeats.list_heartbeats()

    def get_active_agents(self) -> list[Heartbeat]:
        """Agents still running: neither finished nor stale."""
        now = utcnow()
        return [b for b in self.get_all_agents() if not b.finished and not b.is_stale(now)]

    def get_stale_agents(self) -> list[Heartbeat]:
        """Agents not finished and silent for more than their ``ttl``."""
        now = utcnow()
        return [b for b in self.get_all_agents() if b.is_stale(now)]

    def get_agent(self, agent_id: str) -> Heartbeat | None:
        """The latest beat of ``agent_id``, ``None`` if none is kept."""
        return self.heartbeats.get_heartbeat(check_name(agent_id, "agent_id"))
