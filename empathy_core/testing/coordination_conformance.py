"""The conformance suites every coordination and short-term memory store must pass.

One class per role of :mod:`empathy_core.coordination`. Subclass each one your plugin
serves and provide a ``store_factory`` fixture: a callable ``factory(**options)`` that
opens a *new* store instance on one shared, initially empty location (so the suite can
check that several instances, like several processes, see each other's writes). The
event suite passes ``retention=N`` (events kept per type); the others pass nothing::

    import pytest
    from empathy_core.testing.coordination_conformance import EventStoreConformance

    class TestMyEvents(EventStoreConformance):
        @pytest.fixture
        def store_factory(self, tmp_path):
            yield lambda retention=10_000: MyEventStore(f"my:///{tmp_path}/db", retention=retention)

Stores opened through :meth:`open` are closed by the suite. Expiry is tested with short
TTLs and real sleeps of well under a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from empathy_core.coordination import (
    ApprovalRequest,
    ApprovalResponse,
    ApprovalStore,
    EventStore,
    Heartbeat,
    HeartbeatStore,
    MemoryStore,
    Signal,
    SignalStore,
)
from empathy_core.records import utcnow


class _StoreSuite:
    """Opens stores through ``store_factory`` and closes them after each test."""

    protocol: type = object

    @pytest.fixture(autouse=True)
    def _opened(self, store_factory: Callable[..., Any]) -> Iterator[None]:
        self._factory = store_factory
        self._stores: list[Any] = []
        yield
        for store in self._stores:
            store.close()

    def open(self, **options: Any) -> Any:
        """A new store instance on the shared location."""
        store = self._factory(**options)
        self._stores.append(store)
        return store

    def test_satisfies_the_protocol(self) -> None:
        assert isinstance(self.open(), self.protocol)


class HeartbeatStoreConformance(_StoreSuite):
    """Role ``heartbeats``."""

    protocol = HeartbeatStore

    def test_a_beat_is_read_back_by_another_instance(self) -> None:
        beat = Heartbeat(
            "agent-1", status="running", progress=0.5, current_stage="scan", metadata={"run": "r1"}
        )
        self.open().put_heartbeat(beat)
        assert self.open().get_heartbeat("agent-1") == beat

    def test_a_new_beat_replaces_the_old_one(self) -> None:
        store = self.open()
        first = Heartbeat("agent-1", status="running", progress=0.1)
        store.put_heartbeat(first)
        store.put_heartbeat(
            Heartbeat(
                "agent-1", status="success", progress=1.0, started_at=first.started_at, final_state={"n": 3}
            )
        )
        (only,) = store.list_heartbeats()
        assert (only.status, only.progress, only.final_state) == ("success", 1.0, {"n": 3})
        assert only.started_at == first.started_at

    def test_list_is_ordered_by_agent_id(self) -> None:
        store = self.open()
        for agent in ("c-agent", "a-agent", "b-agent"):
            store.put_heartbeat(Heartbeat(agent))
        assert [b.agent_id for b in store.list_heartbeats()] == ["a-agent", "b-agent", "c-agent"]

    def test_a_silent_agent_is_kept_and_reported_stale(self) -> None:
        now = utcnow()
        silent = Heartbeat("silent", status="running", last_beat=now - timedelta(seconds=2), ttl=1.0)
        fresh = Heartbeat("fresh", status="running", ttl=60.0)
        store = self.open()
        store.put_heartbeat(silent)
        store.put_heartbeat(fresh)
        kept = {b.agent_id: b for b in self.open().list_heartbeats()}
        assert set(kept) == {"silent", "fresh"}
        assert kept["silent"].is_stale() and not kept["fresh"].is_stale()

    def test_a_beat_long_past_ten_ttls_is_dropped(self) -> None:
        store = self.open()
        store.put_heartbeat(Heartbeat("gone", last_beat=utcnow() - timedelta(seconds=30), ttl=1.0))
        store.put_heartbeat(Heartbeat("here", ttl=60.0))
        assert [b.agent_id for b in store.list_heartbeats()] == ["here"]
        assert store.get_heartbeat("gone") is None

    def test_delete(self) -> None:
        store = self.open()
        store.put_heartbeat(Heartbeat("agent-1"))
        assert store.delete_heartbeat("agent-1") is True
        assert store.delete_heartbeat("agent-1") is False
        assert store.get_heartbeat("agent-1") is None

    def test_concurrent_writers_lose_nothing(self) -> None:
        stores = [self.open() for _ in range(4)]

        def beat(index: int) -> None:
            for n in range(25):
                stores[index].put_heartbeat(Heartbeat(f"agent-{index}-{n}"))

        in_threads(beat, len(stores))
        assert len(self.open().list_heartbeats()) == 100


class SignalStoreConformance(_StoreSuite):
    """Role ``signals``."""

    protocol = SignalStore

    def test_addressed_signals_and_broadcasts_reach_their_target(self) -> None:
        sender = self.open()
        to_w1 = Signal("task_assigned", "orchestrator", "worker-1", {"task_id": "t123"})
        to_w2 = Signal("task_assigned", "orchestrator", "worker-2", {"task_id": "t124"})
        everyone = Signal("shutdown_requested", "orchestrator", None, {"reason": "maintenance"})
        for signal in (to_w1, to_w2, everyone):
            sender.send_signal(signal)
        receiver = self.open()
        assert receiver.list_signals("worker-1") == [to_w1, everyone]
        assert receiver.list_signals(None) == [to_w1, to_w2, everyone]

    def test_filters_by_type_and_time(self) -> None:
        store = self.open()
        now = utcnow()
        old = Signal("task_assigned", "o", "w", timestamp=now - timedelta(minutes=10))
        new = Signal("task_assigned", "o", "w", timestamp=now)
        other = Signal("progress", "o", "w", timestamp=now)
        for signal in (old, new, other):
            store.send_signal(signal)
        since = now - timedelta(minutes=5)
        assert store.list_signals("w", ["task_assigned"], since) == [new]
        assert store.list_signals("w", ["task_assigned", "progress"]) == [old, new, other]

    def test_expired_signals_are_gone(self) -> None:
        store = self.open()
        store.send_signal(Signal("ping", "o", "w", timestamp=utcnow() - timedelta(seconds=5), ttl=1.0))
        kept = Signal("ping", "o", "w", ttl=60.0)
        store.send_signal(kept)
        assert store.list_signals("w") == [kept]

    def test_limit_keeps_the_newest(self) -> None:
        store = self.open()
        start = utcnow() - timedelta(seconds=10)
        sent = [Signal("tick", "o", "w", {"n": n}, timestamp=start + timedelta(seconds=n)) for n in range(5)]
        for signal in sent:
            store.send_signal(signal)
        assert store.list_signals("w", limit=2) == sent[-2:]


class EventStoreConformance(_StoreSuite):
    """Role ``events``."""

    protocol = EventStore

    def publish(self, store: Any, event_type: str, **data: Any) -> Any:
        return store.publish_event(event_type, data, utcnow())

    def test_published_events_are_recent_newest_first(self) -> None:
        store = self.open()
        ids = [self.publish(store, "workflow_progress", n=n).event_id for n in range(3)]
        self.publish(store, "agent_heartbeat", n=9)
        recent = self.open().recent_events("workflow_progress", count=2)
        assert [e.event_id for e in recent] == ids[::-1][:2]
        assert [e.data for e in recent] == [{"n": 2}, {"n": 1}]
        assert next(e.event_type for e in self.open().recent_events(None, count=10)) == "agent_heartbeat"
        assert len(store.recent_events(None, count=10)) == 4

    def test_read_after_a_cursor_sees_only_later_events(self) -> None:
        store = self.open()
        self.publish(store, "a", n=0)
        cursor = store.last_event_id()
        later = [self.publish(store, "a", n=1), self.publish(store, "b", n=2)]
        reader = self.open()
        assert reader.read_events(None, cursor, 0, 10) == later
        assert reader.read_events(["b"], cursor, 0, 10) == later[1:]
        assert reader.read_events(None, later[-1].event_id, 0, 10) == []

    def test_a_blocking_read_wakes_for_an_event_from_another_instance(self) -> None:
        reader = self.open()
        cursor = reader.last_event_id()
        writer = self.open()
        timer = threading.Timer(0.2, lambda: self.publish(writer, "late", n=1))
        timer.start()
        try:
            events = reader.read_events(["late"], cursor, 10_000, 10)
        finally:
            timer.join()
        assert [e.data for e in events] == [{"n": 1}]

    def test_a_blocking_read_gives_up_after_block_ms(self) -> None:
        store = self.open()
        started = time.monotonic()
        assert store.read_events(["nothing"], store.last_event_id(), 100, 10) == []
        assert time.monotonic() - started < 30  # a hang guard, not a timing assertion

    def test_retention_bounds_each_type(self) -> None:
        store = self.open(retention=5)
        for n in range(40):
            self.publish(store, "busy", n=n)
        self.publish(store, "quiet", n=0)
        kept = store.recent_events("busy", count=100)
        assert 5 <= len(kept) < 40
        assert kept[0].data == {"n": 39}
        assert len(store.recent_events("quiet", count=100)) == 1

    def test_a_group_shares_events_between_consumers_exactly_once(self) -> None:
        store = self.open()
        assert store.read_group("workers", "c1", ["job"], 0, 10) == []  # creates the group
        for n in range(30):
            self.publish(store, "job", n=n)
        seen: list[int] = []
        consumers = [self.open(), self.open()]
        while True:
            batch = [e for i, c in enumerate(consumers) for e in _take(c, f"c{i + 1}", "job", 7)]
            if not batch:
                break
            seen.extend(e.data["n"] for e in batch)
        assert sorted(seen) == list(range(30))

    def test_a_new_group_starts_after_existing_events(self) -> None:
        store = self.open()
        self.publish(store, "job", n=0)
        assert store.read_group("fresh", "c1", ["job"], 0, 10) == []
        self.publish(store, "job", n=1)
        assert [e.data for e in store.read_group("fresh", "c1", ["job"], 0, 10)] == [{"n": 1}]

    def test_unacked_events_are_claimed_by_another_consumer_after_idle_time(self) -> None:
        store = self.open()
        store.read_group("g", "dead", ["job"], 0, 10)
        published = [self.publish(store, "job", n=n) for n in range(3)]
        assert store.read_group("g", "dead", ["job"], 0, 10) == published
        assert store.read_group("g", "alive", ["job"], 0, 10, claim_idle_ms=60_000) == []
        time.sleep(0.3)
        claimed = self.open().read_group("g", "alive", ["job"], 0, 10, claim_idle_ms=100)
        assert [e.event_id for e in claimed] == [e.event_id for e in published]
        assert store.ack_events("g", [e.event_id for e in claimed]) == 3
        time.sleep(0.3)
        assert store.read_group("g", "other", ["job"], 0, 10, claim_idle_ms=100) == []

    def test_ack_counts_only_pending_events(self) -> None:
        store = self.open()
        store.read_group("g", "c", ["job"], 0, 10)
        event = self.publish(store, "job", n=1)
        store.read_group("g", "c", ["job"], 0, 10)
        assert store.ack_events("g", [event.event_id]) == 1
        assert store.ack_events("g", [event.event_id]) == 0

    def test_concurrent_publishers_lose_nothing(self) -> None:
        stores = [self.open() for _ in range(4)]
        in_threads(lambda i: [self.publish(stores[i], "load", i=i, n=n) for n in range(50)], 4)
        events = self.open().recent_events("load", count=1000)
        assert len(events) == 200
        assert len({e.event_id for e in events}) == 200


class ApprovalStoreConformance(_StoreSuite):
    """Role ``approvals``."""

    protocol = ApprovalStore

    def request(self, store: Any, timeout: float = 300.0, **fields: Any) -> ApprovalRequest:
        request = ApprovalRequest(
            "deploy_to_production", "deployment-workflow", {"version": "2.0.0"}, timeout, **fields
        )
        store.create_request(request)
        return request

    def test_a_request_is_pending_for_every_instance(self) -> None:
        request = self.request(self.open())
        other = self.open()
        assert other.pending_requests() == [request]
        assert other.get_request(request.request_id) == request
        assert other.get_request("unknown") is None

    def test_the_first_response_wins(self) -> None:
        store = self.open()
        request = self.request(store)
        approve = ApprovalResponse(request.request_id, True, "user@example.com", "Looks good")
        assert self.open().resolve(approve) == approve
        reject = ApprovalResponse(request.request_id, False, "other@example.com", "No")
        assert store.resolve(reject) == approve
        assert store.get_request(request.request_id).status == "approved"
        assert store.pending_requests() == []

    def test_a_waiter_sees_a_response_from_another_instance(self) -> None:
        store = self.open()
        request = self.request(store)
        response = ApprovalResponse(request.request_id, False, "ops", "too risky")
        responder = self.open()
        timer = threading.Timer(0.2, lambda: responder.resolve(response))
        timer.start()
        try:
            assert store.wait_response(request.request_id, 20.0) == response
        finally:
            timer.join()
        assert store.get_request(request.request_id).status == "rejected"

    def test_waiting_gives_up_after_the_timeout(self) -> None:
        store = self.open()
        request = self.request(store)
        assert store.wait_response(request.request_id, 0.1) is None
        assert store.get_request(request.request_id).status == "pending"

    def test_an_approval_after_the_deadline_is_a_timeout(self) -> None:
        store = self.open()
        request = self.request(store, timeout=1.0, requested_at=utcnow() - timedelta(seconds=5))
        assert store.pending_requests() == []
        answer = store.resolve(ApprovalResponse(request.request_id, True, "late", "ok"))
        assert (answer.approved, answer.timed_out, answer.status) == (False, True, "timeout")
        assert store.get_request(request.request_id).status == "timeout"
        assert store.wait_response(request.request_id, 0.1) == answer

    def test_a_timeout_recorded_first_stays(self) -> None:
        store = self.open()
        request = self.request(store)
        timeout = ApprovalResponse(request.request_id, False, None, "timed out after 300 s", timed_out=True)
        assert store.resolve(timeout) == timeout
        assert store.resolve(ApprovalResponse(request.request_id, True, "late")) == timeout

    def test_resolving_an_unknown_request_is_a_key_error(self) -> None:
        with pytest.raises(KeyError):
            self.open().resolve(ApprovalResponse("no-such-request", True))

    def test_concurrent_responders_agree_on_one_answer(self) -> None:
        request = self.request(self.open())
        stores = [self.open() for _ in range(4)]
        answers: list[ApprovalResponse] = [None] * 4  # type: ignore[list-item]

        def respond(i: int) -> None:
            answers[i] = stores[i].resolve(ApprovalResponse(request.request_id, i % 2 == 0, f"r{i}"))

        in_threads(respond, 4)
        assert len(set(answers)) == 1
        assert self.open().get_request(request.request_id).status == answers[0].status


class MemoryStoreConformance(_StoreSuite):
    """Role ``memory``."""

    protocol = MemoryStore

    def test_values_round_trip_through_another_instance(self) -> None:
        self.open().set_value("alice.agent", "current_task", {"status": "debugging", "files": ["a.py"]})
        self.open().set_value("alice.agent", "count", 3)
        store = self.open()
        assert store.get_value("alice.agent", "current_task") == {"status": "debugging", "files": ["a.py"]}
        assert store.get_value("alice.agent", "count") == 3
        assert store.get_value("alice.agent", "missing") is None

    def test_namespaces_are_separate(self) -> None:
        store = self.open()
        store.set_value("alice.agent", "k", "a")
        store.set_value("bob.agent", "k", "b")
        assert (store.get_value("alice.agent", "k"), store.get_value("bob.agent", "k")) == ("a", "b")
        assert store.list_keys("alice.agent") == ["k"]
        assert store.list_keys("alice") == []

    def test_a_value_expires_after_its_ttl(self) -> None:
        store = self.open()
        store.set_value("ns", "short", "x", ttl=0.2)
        store.set_value("ns", "long", "y", ttl=60)
        store.set_value("ns", "forever", "z")
        time.sleep(0.5)
        assert store.get_value("ns", "short") is None
        assert store.list_keys("ns") == ["forever", "long"]

    def test_set_replaces_and_resets_the_ttl(self) -> None:
        store = self.open()
        store.set_value("ns", "k", 1, ttl=0.2)
        store.set_value("ns", "k", 2)
        time.sleep(0.4)
        assert store.get_value("ns", "k") == 2

    def test_delete(self) -> None:
        store = self.open()
        store.set_value("ns", "k", 1)
        assert store.delete_value("ns", "k") is True
        assert store.delete_value("ns", "k") is False
        assert store.list_keys("ns") == []


def _take(store: Any, consumer: str, event_type: str, count: int) -> list[Any]:
    """Read a batch for ``consumer`` of group ``workers`` and acknowledge it."""
    events = store.read_group("workers", consumer, [event_type], 0, count)
    if events:
        assert store.ack_events("workers", [e.event_id for e in events]) == len(events)
    return events


def in_threads(target: Callable[[int], Any], count: int) -> None:
    """Run ``target(i)`` for ``i`` in ``range(count)`` at once; re-raise the first failure."""
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
