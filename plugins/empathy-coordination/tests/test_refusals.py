"""Bad identifiers and payloads are refused before any store is touched: nothing is stored."""

from __future__ import annotations

import math

import pytest

from empathy_coordination import (
    ApprovalGate,
    CoordinationSignals,
    EventStreamer,
    HeartbeatCoordinator,
    ShortTermMemory,
)

BAD_NAMES = ["../etc", "a b", "x:y", "*", "", ".hidden", "a" * 129, 42, None]
BAD_PAYLOADS = [
    {"obj": object()},
    {"nan": math.nan},
    {1: "int key"},
    ["not", "a", "mapping"],
    {"big": "x" * (256 * 1024 + 1)},
]


def nothing_stored(empathy) -> None:
    assert empathy.open_backend("heartbeats").list_heartbeats() == []
    assert empathy.open_backend("signals").list_signals() == []
    assert empathy.open_backend("events").recent_events() == []
    assert empathy.open_backend("approvals").pending_requests() == []
    assert empathy.open_backend("memory").list_keys("u.a") == []


@pytest.mark.parametrize("name", [n for n in BAD_NAMES if n is not None])
def test_bad_identifiers_are_refused(backend, name):
    coordinator = HeartbeatCoordinator(enable_streaming=True)
    calls = [
        ("agent_id", lambda: coordinator.start_heartbeat(name)),
        ("agent_id", lambda: CoordinationSignals(name)),
        ("signal_type", lambda: CoordinationSignals("a").signal(name, "b")),
        ("target_agent", lambda: CoordinationSignals("a", enable_streaming=True).signal("t", name)),
        ("event_type", lambda: EventStreamer().publish_event(name, {})),
        ("group", lambda: EventStreamer().consume_events(["t"], group=name)),
        ("agent_id", lambda: ApprovalGate(name)),
        ("approval_type", lambda: ApprovalGate("a").request_approval(name, timeout=1)),
        ("request_id", lambda: ApprovalGate().respond_to_approval(name, True)),
        ("user_id", lambda: ShortTermMemory(name)),
        ("key", lambda: ShortTermMemory("u", "a").stash(name, 1)),
    ]
    for what, call in calls:
        with pytest.raises(ValueError, match=what):
            call()
    nothing_stored(backend)


@pytest.mark.parametrize("payload", BAD_PAYLOADS, ids=["object", "nan", "int-key", "list", "too-big"])
def test_bad_payloads_are_refused(backend, payload):
    coordinator = HeartbeatCoordinator(enable_streaming=True)
    calls = [
        ("metadata", lambda: coordinator.start_heartbeat("agent", metadata=payload)),
        ("payload", lambda: CoordinationSignals("a", enable_streaming=True).signal("t", "b", payload)),
        ("payload", lambda: CoordinationSignals("a").broadcast("t", payload)),
        ("data", lambda: EventStreamer().publish_event("t", payload)),
        ("context", lambda: ApprovalGate("a").request_approval("deploy", payload, timeout=1)),
    ]
    for what, call in calls:
        with pytest.raises(ValueError, match=what):
            call()
    nothing_stored(backend)


def test_bad_values_are_refused(backend):
    coordinator = HeartbeatCoordinator(enable_streaming=True)
    coordinator.start_heartbeat("agent")
    for progress in (-0.1, 1.5, math.nan, "half", True):
        with pytest.raises(ValueError, match="progress"):
            coordinator.beat(progress=progress)
    with pytest.raises(ValueError, match="final_state"):
        coordinator.complete(final_state={"when": object()})
    with pytest.raises(ValueError, match="ttl"):
        HeartbeatCoordinator(ttl=0)
    with pytest.raises(ValueError, match="timeout"):
        ApprovalGate("a").request_approval("deploy", timeout=math.inf)
    with pytest.raises(ValueError, match="value"):
        ShortTermMemory("u", "a").stash("k", {1, 2})
    with pytest.raises(ValueError, match="reason"):
        ApprovalGate().respond_to_approval("abc", True, reason="two\nlines")
    with pytest.raises(ValueError, match="count"):
        EventStreamer().get_recent_events(count=0)
    with pytest.raises(ValueError, match="block_ms"):
        EventStreamer().consume_events(block_ms=0)
    assert [b.status for b in coordinator.get_all_agents()] == ["starting"]
    assert [e.data["status"] for e in EventStreamer().get_recent_events()] == ["starting"]
    assert ShortTermMemory("u", "a").keys() == []
