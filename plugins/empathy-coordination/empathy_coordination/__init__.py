"""Agent coordination for Empathy: heartbeats, signals, event streams, approval gates and
short-term memory, over whatever store ``empathy.open_backend(role)`` opens.

The facades resolve lazily (PEP 562), so the entry-point module stays cheap::

    from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

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


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'empathy_coordination' has no attribute {name!r}")
    value = getattr(import_module(f"empathy_coordination.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
