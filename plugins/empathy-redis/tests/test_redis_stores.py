"""Behaviour of the Redis stores beyond the conformance suites: ids across streams, waking
for new types, large acknowledgements, every waiter woken, bad input refused unstored."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis

from empathy_core import ApprovalRequest, ApprovalResponse, Heartbeat, Signal, utcnow
from empathy_redis.approvals import RedisApprovalStore
from empathy_redis.events import ACK_BATCH, RedisEventStore
from empathy_redis.heartbeats import RedisHeartbeatStore
from empathy_redis.memory import RedisMemoryStore
from empathy_redis.settings import RedisSettings
from empathy_redis.signals import RedisSignalStore


@pytest.fixture
def raw(redis_url: str) -> Iterator[redis.Redis]:
    with redis.Redis.from_url(redis_url, decode_responses=True) as client:
        yield client


@pytest.fixture
def events(redis_url: str, settings: RedisSettings) -> Iterator[RedisEventStore]:
    store = RedisEventStore(redis_url, settings)
    yield store
    store.close()


def later(seconds: float, work: Any) -> threading.Timer:
    timer = threading.Timer(seconds, work)
    timer.start()
    return timer


def test_event_ids_increase_across_types_and_order_every_stream(events: RedisEventStore) -> None:
    published = [events.publish_event(t, {"n": n}, utcnow()) for n, t in enumerate("abcabc")]
    ids = [e.event_id for e in published]
    assert len(set(ids)) == 6
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    assert events.last_event_id() == ids[-1]
    assert events.read_events(None, ids[2], 0, 10) == published[3:]
    assert events.read_events(None, "0-0", 0, 2) == published[:2]


def test_a_blocking_read_of_every_type_wakes_for_a_type_never_seen(
    events: RedisEventStore, redis_url: str, settings: RedisSettings
) -> None:
    writer = RedisEventStore(redis_url, settings)
    cursor = events.last_event_id()
    timer = later(0.2, lambda: writer.publish_event("brand-new", {"n": 1}, utcnow()))
    try:
        found = events.read_events(None, cursor, 10_000, 10)
    finally:
        timer.join()
        writer.close()
    assert [(e.event_type, e.data) for e in found] == [("brand-new", {"n": 1})]


def test_a_group_of_every_type_reads_types_published_after_it_started(events: RedisEventStore) -> None:
    events.publish_event("old", {"n": 0}, utcnow())
    assert events.read_group("all", "c", None, 0, 10) == []
    timer = later(0.2, lambda: events.publish_event("newer", {"n": 1}, utcnow()))
    try:
        found = events.read_group("all", "c", None, 10_000, 10)
    finally:
        timer.join()
    assert [(e.event_type, e.data) for e in found] == [("newer", {"n": 1})]
    events.publish_event("old", {"n": 2}, utcnow())
    assert [e.data for e in events.read_group("all", "c", None, 0, 10)] == [{"n": 2}]


def test_a_group_read_never_returns_more_than_count_across_types(events: RedisEventStore) -> None:
    events.read_group("g", "c", ["a", "b"], 0, 1)
    for n in range(6):
        events.publish_event("ab"[n % 2], {"n": n}, utcnow())
    batches = [events.read_group("g", "c", ["a", "b"], 0, 4) for _ in range(3)]
    assert [len(b) for b in batches] == [4, 2, 0]
    assert sorted(e.data["n"] for b in batches for e in b) == list(range(6))


def test_acknowledging_more_ids_than_one_script_call_takes(events: RedisEventStore) -> None:
    events.read_group("g", "c", ["bulk"], 0, 1)
    total = ACK_BATCH * 2 + 5
    for n in range(total):
        events.publish_event("bulk", {"n": n}, utcnow())
    taken = events.read_group("g", "c", ["bulk"], 0, total)
    assert len(taken) == total
    assert events.ack_events("g", [e.event_id for e in taken]) == total


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.read_events(None, "latest", 0, 10), "after must be an event id"),
        (lambda s: s.read_events("job", "0-0", 0, 10), "event_types must be a sequence"),
        (lambda s: s.read_events(["a b"], "0-0", 0, 10), "invalid event_types"),
        (lambda s: s.read_events(None, "0-0", -1, 10), "block_ms must be"),
        (lambda s: s.recent_events(None, count=0), "count must be a positive integer"),
        (lambda s: s.read_group("g:1", "c", None, 0, 10), "invalid group"),
        (lambda s: s.read_group("g", "c", None, 0, 10, claim_idle_ms=1.5), "claim_idle_ms must be"),
        (lambda s: s.ack_events("g", ["x"]), "event_ids must be an event id"),
        (lambda s: s.publish_event("job", {"x": object()}, utcnow()), "event data is not JSON"),
        (lambda s: s.publish_event("job", {"x": float("nan")}, utcnow()), "event data is not JSON"),
    ],
)
def test_bad_event_input_is_a_value_error_and_stores_nothing(
    events: RedisEventStore, raw: redis.Redis, key_prefix: str, call: Any, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        call(events)
    assert list(raw.scan_iter(match=f"{key_prefix}:*")) == []


def test_every_waiter_sees_the_response(redis_url: str, settings: RedisSettings) -> None:
    store = RedisApprovalStore(redis_url, settings)
    try:
        request = ApprovalRequest("deploy", "agent-1", {"v": 1})
        store.create_request(request)
        answers: list[Any] = []
        waiters = [
            threading.Thread(target=lambda: answers.append(store.wait_response(request.request_id, 20.0)))
            for _ in range(3)
        ]
        for waiter in waiters:
            waiter.start()
        response = ApprovalResponse(request.request_id, True, "ops")
        timer = later(0.3, lambda: store.resolve(response))
        for waiter in waiters:
            waiter.join(30)
        timer.join()
        assert answers == [response] * 3
    finally:
        store.close()


def test_approval_requests_are_created_once_and_unknown_ones_are_key_errors(
    redis_url: str, settings: RedisSettings
) -> None:
    store = RedisApprovalStore(redis_url, settings)
    try:
        request = ApprovalRequest("deploy", "agent-1")
        store.create_request(request)
        with pytest.raises(ValueError, match="already exists"):
            store.create_request(request)
        with pytest.raises(KeyError):
            store.wait_response("unknown", 0.1)
        with pytest.raises(ValueError, match="timeout must be"):
            store.wait_response(request.request_id, -1)
        with pytest.raises(ValueError, match="invalid request_id"):
            store.get_request("../x")
        assert store.wait_response(request.request_id, 0) is None
    finally:
        store.close()


def test_an_expired_heartbeat_leaves_the_index(
    redis_url: str, settings: RedisSettings, raw: redis.Redis, key_prefix: str
) -> None:
    store = RedisHeartbeatStore(redis_url, settings)
    try:
        store.put_heartbeat(Heartbeat("short", last_beat=utcnow() - timedelta(seconds=9), ttl=1.0))
        store.put_heartbeat(Heartbeat("long", ttl=60.0))
        assert sorted(raw.zrange(f"{key_prefix}:hb-index", 0, -1)) == ["long", "short"]
        time.sleep(1.2)  # "short" is kept 10 ttls after its last beat: 1 s from now
        assert [b.agent_id for b in store.list_heartbeats()] == ["long"]
        assert raw.zrange(f"{key_prefix}:hb-index", 0, -1) == ["long"]
    finally:
        store.close()


def test_list_of_every_signal_finds_each_target_and_skips_expired_arrivals(
    redis_url: str, settings: RedisSettings, raw: redis.Redis, key_prefix: str
) -> None:
    store = RedisSignalStore(redis_url, settings)
    try:
        sent = [Signal("ping", "o", f"w{n}") for n in range(3)]
        for signal in sent:
            store.send_signal(signal)
        store.send_signal(Signal("ping", "o", "late", timestamp=utcnow() - timedelta(hours=2)))
        assert store.list_signals(None) == sent
        assert not raw.exists(f"{key_prefix}:sig:to:late")
        assert 0 < raw.pttl(f"{key_prefix}:sig:to:w0") <= 3600 * 1000
    finally:
        store.close()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda beats, _: beats.put_heartbeat(Heartbeat("a/b")), "invalid agent_id"),
        (lambda beats, _: beats.put_heartbeat(Heartbeat("a", ttl=float("nan"))), "heartbeat ttl must be"),
        (
            lambda beats, _: beats.put_heartbeat(Heartbeat("a", metadata={"x": object()})),
            "heartbeat metadata is not JSON",
        ),
        (
            lambda beats, _: beats.put_heartbeat(Heartbeat("a", final_state={"x": {1}})),
            "heartbeat final_state is not JSON",
        ),
        (lambda _, signals: signals.send_signal(Signal("ping", "o", "w:*")), "invalid target_agent"),
        (lambda _, signals: signals.send_signal(Signal("ping", "o", "w", ttl=-1)), "signal ttl must be"),
        (
            lambda _, signals: signals.send_signal(Signal("ping", "o", "w", {"x": b"raw"})),
            "signal payload is not JSON",
        ),
        (lambda _, signals: signals.list_signals("w", limit=0), "limit must be a positive integer"),
    ],
)
def test_bad_heartbeat_and_signal_input_is_a_value_error_and_stores_nothing(
    redis_url: str, settings: RedisSettings, raw: redis.Redis, key_prefix: str, call: Any, message: str
) -> None:
    beats, signals = RedisHeartbeatStore(redis_url, settings), RedisSignalStore(redis_url, settings)
    try:
        with pytest.raises(ValueError, match=message):
            call(beats, signals)
        assert list(raw.scan_iter(match=f"{key_prefix}:*")) == []
    finally:
        beats.close()
        signals.close()


def test_bad_memory_input_is_a_value_error_and_stores_nothing(
    redis_url: str, settings: RedisSettings, raw: redis.Redis, key_prefix: str
) -> None:
    store = RedisMemoryStore(redis_url, settings)
    try:
        with pytest.raises(ValueError, match="invalid namespace"):
            store.set_value("a:*", "k", 1)
        with pytest.raises(ValueError, match="invalid key"):
            store.set_value("ns", "k?", 1)
        with pytest.raises(ValueError, match="value of ns/k is not JSON"):
            store.set_value("ns", "k", {1, 2})
        with pytest.raises(ValueError, match="ttl must be"):
            store.set_value("ns", "k", 1, ttl=0)
        assert list(raw.scan_iter(match=f"{key_prefix}:*")) == []
    finally:
        store.close()
