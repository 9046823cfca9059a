"""Coordination: events published and consumed per second, signal round-trip latency.

In one run, through the facades users call (``EventStreamer``, ``CoordinationSignals``
of ``empathy-coordination``), on the SQLite store (a fresh file in a temporary directory)
and on Redis (``$EMPATHY_REDIS_URL`` or redis://127.0.0.1:6379/0, under a throw-away
key prefix), beside the floor: a bare redis-py loop doing the same Redis commands
(``XADD``; ``XREADGROUP`` + ``XACK`` in batches; ``ZADD`` + ``ZRANGEBYSCORE``).

- publish: ``BENCH_EVENTS`` (default 5,000) ``publish_event`` calls, one process;
- consume: the same events read by a consumer group, ``count=100`` per read, each
  acknowledged (the timing stops at the last event, as the floor's loop does);
- signal round trip: agent A signals B, B reads its signals, answers, A reads the
  answer; p50 and p99 over ``BENCH_SIGNALS`` (default 500) round trips.

Target: Redis within 1.5x of the bare redis-py floor.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from empathy_core import CoordinationConfig, Empathy, EmpathyConfig, PluginsConfig

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
SIGNALS = int(os.environ.get("BENCH_SIGNALS", "500"))
REDIS_URL = os.environ.get("EMPATHY_REDIS_URL", "redis://127.0.0.1:6379/0")
TARGET = 1.5


def runtime(url: str, prefix: str) -> Empathy:
    config = EmpathyConfig(
        provider="mock",
        coordination=CoordinationConfig(store=url, event_retention=max(EVENTS * 2, 10_000)),
        plugins=PluginsConfig(settings={"empathy-redis": {"key_prefix": prefix}}),
    )
    return Empathy(config, entry_points=True).configure()


def rate(count: int, work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return count / (time.perf_counter() - started)


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100)
    return cuts[49], cuts[98]


def ours(url: str) -> dict[str, float]:
    from empathy_coordination import CoordinationSignals, EventStreamer

    empathy = runtime(url, f"bench-{uuid.uuid4().hex[:8]}")
    try:
        streamer = EventStreamer(empathy=empathy)
        group = f"g{uuid.uuid4().hex[:6]}"
        consumer = streamer.consume_events(["bench"], block_ms=200, count=100, group=group, until_idle=True)
        first = streamer.publish_event("bench", {"n": -1})
        assert next(consumer).event_id == first  # the group exists before the timed publishes
        published = rate(EVENTS, lambda: [streamer.publish_event("bench", {"n": n}) for n in range(EVENTS)])
        seen: list[int] = []

        def consume() -> None:  # exactly EVENTS events, all acknowledged, as the floor does
            seen.extend(e.data["n"] for e in itertools.islice(consumer, EVENTS))
            consumer.close()

        consumed = rate(EVENTS, consume)
        assert len(seen) == EVENTS, (len(seen), EVENTS)
        a = CoordinationSignals("agent-a", empathy=empathy)
        b = CoordinationSignals("agent-b", empathy=empathy)
        trips = []
        for n in range(SIGNALS):
            started = time.perf_counter()
            sent = a.signal("ping", "agent-b", {"n": n})
            assert any(s.signal_id == sent.signal_id for s in b.get_signals(since=sent.timestamp))
            reply = b.signal("pong", "agent-a", {"n": n})
            assert any(s.signal_id == reply.signal_id for s in a.get_signals(since=reply.timestamp))
            trips.append((time.perf_counter() - started) * 1000)
        p50, p99 = percentiles(trips)
        return {"publish": published, "consume": consumed, "p50": p50, "p99": p99}
    finally:
        empathy.close()


def floor(url: str) -> dict[str, float]:
    import redis

    client = redis.Redis.from_url(url)
    stream, zset = f"floor:{uuid.uuid4().hex}", f"floor:{uuid.uuid4().hex}"
    try:
        client.xgroup_create(stream, "g", id="$", mkstream=True)
        payload = {"data": json.dumps({"n": 0})}
        published = rate(EVENTS, lambda: [client.xadd(stream, payload) for _ in range(EVENTS)])

        def consume() -> None:
            left = EVENTS
            while left:
                for _, entries in client.xreadgroup("g", "c", {stream: ">"}, count=100, block=200):
                    client.xack(stream, "g", *[entry_id for entry_id, _ in entries])
                    left -= len(entries)

        consumed = rate(EVENTS, consume)
        trips = []
        for n in range(SIGNALS):
            started = time.perf_counter()
            for target in ("b", "a"):
                now = time.time()
                client.zadd(f"{zset}:{target}", {json.dumps({"n": n, "t": now}): now})
                client.zrangebyscore(f"{zset}:{target}", now, "+inf")
            trips.append((time.perf_counter() - started) * 1000)
        p50, p99 = percentiles(trips)
        return {"publish": published, "consume": consumed, "p50": p50, "p99": p99}
    finally:
        client.delete(stream, f"{zset}:a", f"{zset}:b")


def report(name: str, figures: dict[str, float], base: dict[str, float] | None) -> None:
    line = (
        f"{name:<8} publish {figures['publish']:>9,.0f}/s  consume {figures['consume']:>9,.0f}/s  "
        f"signal round trip p50 {figures['p50']:.2f} ms  p99 {figures['p99']:.2f} ms"
    )
    if base:
        line += (
            f"   (vs floor: publish {base['publish'] / figures['publish']:.2f}x slower, consume "
            f"{base['consume'] / figures['consume']:.2f}x, p50 {figures['p50'] / base['p50']:.2f}x, "
            f"p99 {figures['p99'] / base['p99']:.2f}x)"
        )
    print(line, flush=True)


def main() -> int:
    print(f"{EVENTS:,} events, {SIGNALS:,} signal round trips", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EMPATHY_CACHE_DIR"] = tmp
        report("sqlite", ours(f"sqlite:///{tmp}/coordination.db"), None)
    from empathy_redis.testing import redis_problem

    problem = redis_problem(REDIS_URL)
    if problem:
        print(f"redis    skipped: {problem}")
        return 0
    base = floor(REDIS_URL)
    report("floor", base, None)
    figures = ours(REDIS_URL)
    report("redis", figures, base)
    worst = max(
        base["publish"] / figures["publish"],
        base["consume"] / figures["consume"],
        figures["p50"] / base["p50"],
    )
    verdict = "meets" if worst <= TARGET else "misses"
    print(f"redis {verdict} the target: worst ratio {worst:.2f}x (target <= {TARGET}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
