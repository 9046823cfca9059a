"""The SQLite coordination and memory stores against the core conformance suites."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from empathy_core import ApprovalRequest, utcnow
from empathy_core.testing.coordination_conformance import (
    ApprovalStoreConformance,
    EventStoreConformance,
    HeartbeatStoreConformance,
    MemoryStoreConformance,
    SignalStoreConformance,
)
from empathy_sqlite.approvals import SQLiteApprovalStore
from empathy_sqlite.events import SQLiteEventStore
from empathy_sqlite.heartbeats import SQLiteHeartbeatStore
from empathy_sqlite.memory import SQLiteMemoryStore
from empathy_sqlite.signals import SQLiteSignalStore


def _url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/coordination.db"


class TestHeartbeats(HeartbeatStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[..., Any]]:
        yield lambda: SQLiteHeartbeatStore(_url(tmp_path))


class TestSignals(SignalStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[..., Any]]:
        yield lambda: SQLiteSignalStore(_url(tmp_path))


class TestEvents(EventStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[..., Any]]:
        yield lambda retention=10_000: SQLiteEventStore(_url(tmp_path), retention=retention)


class TestApprovals(ApprovalStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[..., Any]]:
        yield lambda: SQLiteApprovalStore(_url(tmp_path))


class TestMemory(MemoryStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[..., Any]]:
        yield lambda: SQLiteMemoryStore(_url(tmp_path))


WRITER = """
import sys
import time
from empathy_core import ApprovalResponse, utcnow
from empathy_sqlite.approvals import SQLiteApprovalStore
from empathy_sqlite.events import SQLiteEventStore

approvals = SQLiteApprovalStore(sys.argv[1])
time.sleep(0.5)  # the other process is waiting by now
approvals.resolve(ApprovalResponse("r1", True, "other-process"))
events = SQLiteEventStore(sys.argv[1])
events.publish_event("approval_resolved", {"request_id": "r1"}, utcnow())
approvals.close()
events.close()
"""


def test_a_waiter_sees_an_answer_from_another_process_with_two_stores_each(tmp_path: Path) -> None:
    """Two stores on one file in each process (as a workflow and the CLI have) and a write
    from the other process while this one waits: seen, and both files stay usable."""
    url = _url(tmp_path)
    approvals = SQLiteApprovalStore(url)
    approvals.create_request(ApprovalRequest("deploy", "agent", request_id="r1"))
    events = SQLiteEventStore(url)
    events.publish_event("approval_requested", {"request_id": "r1"}, utcnow())
    try:
        writer = subprocess.Popen([sys.executable, "-c", WRITER, url])
        answer = approvals.wait_response("r1", 10.0)
        assert writer.wait(60) == 0
        assert answer is not None and answer.responder == "other-process"
        events.publish_event("deployed", {}, utcnow())
        assert [e.event_type for e in events.recent_events()] == [
            "deployed", "approval_resolved", "approval_requested"
        ]
    finally:
        approvals.close()
        events.close()
