"""Consumer groups across processes: exactly-once sharing, and re-delivery after a crash."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from empathy_core import utcnow
from empathy_redis.events import RedisEventStore
from empathy_redis.settings import RedisSettings

WORKER = Path(__file__).with_name("stream_worker.py")
PRODUCERS, PER_PRODUCER, CONSUMERS = 4, 1_000, 2


def worker(*args: object) -> subprocess.Popen[str]:
    command = [sys.executable, str(WORKER), *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_four_producers_two_consumers_every_event_consumed_exactly_once(
    redis_url: str, settings: RedisSettings, tmp_path: Path
) -> None:
    store = RedisEventStore(redis_url, settings)
    try:
        assert store.read_group("workers", "setup", ["job"], 0, 1) == []  # the group exists first
        done = tmp_path / "producers-done"
        started = time.perf_counter()
        consumers = [
            worker("consume", redis_url, settings.key_prefix, f"c{i}", done) for i in range(CONSUMERS)
        ]
        producers = [
            worker("produce", redis_url, settings.key_prefix, p, PER_PRODUCER) for p in range(PRODUCERS)
        ]
        for producer in producers:
            _, errors = producer.communicate(timeout=120)
            assert producer.returncode == 0, errors
        done.touch()
        outputs = []
        for consumer in consumers:
            out, errors = consumer.communicate(timeout=120)
            assert consumer.returncode == 0, errors
            outputs.append(out.split("\n")[:-1])
        elapsed = time.perf_counter() - started
        seen = Counter(line for out in outputs for line in out)
        expected = {f"{p} {n}" for p in range(PRODUCERS) for n in range(PER_PRODUCER)}
        assert set(seen) == expected
        assert [line for line, times in seen.items() if times > 1] == []
        print(f"\n{PRODUCERS}x{PER_PRODUCER} events, {CONSUMERS} consumers: {elapsed:.2f} s")
        assert len(store.recent_events("job", count=10_000)) == PRODUCERS * PER_PRODUCER
    finally:
        store.close()


def test_events_of_a_killed_consumer_are_redelivered_after_the_idle_time(
    redis_url: str, settings: RedisSettings
) -> None:
    store = RedisEventStore(redis_url, settings)
    try:
        store.read_group("workers", "setup", ["job"], 0, 1)
        published = [store.publish_event("job", {"n": n}, utcnow()).event_id for n in range(5)]
        started = time.perf_counter()
        doomed = worker("hold", redis_url, settings.key_prefix, "doomed", 5)
        try:
            held = doomed.stdout.readline().split()  # type: ignore[union-attr]
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.communicate(timeout=30)
        assert doomed.returncode == -signal.SIGKILL
        assert held == published
        assert store.read_group("workers", "heir", ["job"], 0, 10, claim_idle_ms=60_000) == []
        claimed: list[str] = []
        guard = time.monotonic() + 30
        while len(claimed) < 5 and time.monotonic() < guard:  # a hang guard, not a timing assertion
            claimed += [
                e.event_id for e in store.read_group("workers", "heir", ["job"], 100, 10, claim_idle_ms=300)
            ]
        print(f"\nkilled consumer's 5 events re-delivered after {time.perf_counter() - started:.2f} s")
        assert claimed == published
        assert store.ack_events("workers", claimed) == 5
        assert store.read_group("workers", "heir", ["job"], 0, 10, claim_idle_ms=0) == []
    finally:
        store.close()
