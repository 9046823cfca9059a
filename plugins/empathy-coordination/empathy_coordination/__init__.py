"""Agent coordination for Empathy: heartbeats, signals, event streams, approval gates and
short-term memory, over whatever store ``empathy.open_backend(role)`` opens.

The facades resolve lazily (PEP 562), so the entry-point module stays cheap::

    from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator
"""

from __future__ import annotations

from empathy_core import lazy_exports

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    "HeartbeatCoordinator": "heartbeats",
    "CoordinationSignals": "signals",
    "EventStreamer": "events",
    "EventConsumer": "events",
    "ApprovalGate": "approvals",
    "ApprovalDenied": "approvals",
    "UnknownApprovalError": "approvals",
    "ShortTermMemory": "memory",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
