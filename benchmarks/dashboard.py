"""Dashboard JSON endpoints: p50/p99 latency over 1,000,000 telemetry rows in SQLite.

In one run, in a temporary directory: the records of ``benchmarks/telemetry.py`` (8
workflows x 3 stages over ``BENCH_SPAN_DAYS``, default 60, days, every 3 consecutive
calls one run; ``BENCH_RECORDS`` scales them) loaded into a fresh SQLite telemetry
store, plus 50 heartbeats, 1,000 events and 5 pending approvals in the SQLite
coordination store; the routing plugin is loaded. Each endpoint is requested
``BENCH_ROUNDS`` (default 51) times through the ASGI app (Starlette's TestClient:
routing, JSON encoding and the security layer included); the first request of the chart
and runs endpoints is reported apart (the cold start, before finished buckets and the
newest calls are kept).

Baseline, measured in the same run: one bare ``store.stats(since=30 days ago)`` call,
the aggregate every telemetry figure starts from. Ratios are endpoint p50 / baseline p50.

Target: every endpoint's p50 <= 50 ms.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
from telemetry import RECORDS, SPAN_DAYS, records

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "51"))
TARGET_MS = 50.0


def timed(call: Callable[[], Any], rounds: int) -> list[float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p99(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def seed_coordination(runtime: Any) -> list[threading.Thread]:
    from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator

    for i in range(50):
        beat = HeartbeatCoordinator(empathy=runtime, ttl=3600 if i % 5 else 1)
        beat.start_heartbeat(f"agent-{i}", {"workflow": f"workflow-{i % 8}"})
        beat.beat(progress=(i % 10) / 10, current_stage="analyse")
    streamer = EventStreamer(empathy=runtime)
    for i in range(1000):
        streamer.publish_event(
            "stage_finished", {"workflow": f"workflow-{i % 8}", "run_id": f"run-{i}", "n": i}
        )
    waiters = []
    for i in range(5):
        gate = ApprovalGate(f"agent-{i}", empathy=runtime)
        waiter = threading.Thread(target=gate.request_approval, args=("deploy", {"n": i}, 600), daemon=True)
        waiter.start()
        waiters.append(waiter)
    while len(ApprovalGate(empathy=runtime).get_pending_approvals()) < 5:
        time.sleep(0.05)
    return waiters


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="empathy-bench-dashboard-"))
    os.environ["EMPATHY_CACHE_DIR"] = str(root / "cache")
    from starlette.testclient import TestClient

    import empathy_coordination.plugin as coordination_plugin
    import empathy_routing.plugin as routing_plugin
    import empathy_sqlite.plugin as sqlite_plugin
    from empathy_coordination import ApprovalGate
    from empathy_core import Empathy, EmpathyConfig, TelemetryConfig, utcnow
    from empathy_dashboard import Guard, create_app
    from empathy_sqlite.telemetry_store import SQLiteTelemetryStore

    url = f"sqlite:///{root / 'usage.db'}"
    loader = SQLiteTelemetryStore(url)
    start = time.perf_counter()
    done = 0
    for batch in records(RECORDS):  # every 3 consecutive calls are one run
        loader.write_many([attrs.evolve(r, run_id=f"run-{(done + i) // 3}") for i, r in enumerate(batch)])
        done += len(batch)
    loader.close()
    print(
        f"records: {RECORDS:,} over {SPAN_DAYS} days (loaded in {time.perf_counter() - start:.0f} s)",
        flush=True,
    )

    config = EmpathyConfig(provider="mock", telemetry=TelemetryConfig(store=url, retention_days=0))
    runtime = Empathy(config, plugins=[sqlite_plugin, coordination_plugin])
    runtime.add_plugin(routing_plugin, "routing", dist="empathy-routing")
    Empathy.set_current(runtime)
    runtime.configure()
    waiters = seed_coordination(runtime)
    store = runtime.open_backend("telemetry")
    since = utcnow() - timedelta(days=30)
    baseline = statistics.median(timed(lambda: store.stats(since), ROUNDS))
    print(f"baseline store.stats(30 days): p50 {baseline:7.2f} ms", flush=True)

    guard = Guard()
    client = TestClient(create_app(runtime, guard), base_url="http://127.0.0.1:8765")
    run_id = client.get("/api/runs?sort=cost&limit=1").json()["runs"][0]["run_id"]
    endpoints = [
        "/api/summary?days=30",
        "/api/timeseries?days=30&by=workflow",
        "/api/timeseries?days=30&by=model",
        "/api/timeseries?days=1&by=tier",
        "/api/runs?sort=cost&days=30",
        "/api/runs?sort=recent&days=7",
        f"/api/runs/{run_id}",
        "/api/agents",
        "/api/events?count=50",
        "/api/approvals",
        "/api/routing?days=7",
    ]
    cold_client = TestClient(create_app(runtime, guard), base_url="http://127.0.0.1:8765")
    for path in ("/api/timeseries?days=30&by=workflow", "/api/runs?sort=cost&days=30"):
        [cold] = timed(lambda path=path: cold_client.get(path).raise_for_status(), 1)
        print(f"cold first request {path:38} {cold:8.2f} ms ({cold / baseline:5.1f}x baseline)", flush=True)
    worst = 0.0
    print(f"{'endpoint':45} {'p50 ms':>8} {'p99 ms':>8} {'p50/baseline':>13}")
    for path in endpoints:
        times = timed(lambda path=path: client.get(path).raise_for_status(), ROUNDS)
        p50 = statistics.median(times)
        worst = max(worst, p50)
        print(f"{path:45} {p50:8.2f} {p99(times):8.2f} {p50 / baseline:12.2f}x", flush=True)
    gate = ApprovalGate(empathy=runtime)
    for request in gate.get_pending_approvals():
        gate.respond_to_approval(request.request_id, False, "bench", "benchmark over")
    for waiter in waiters:
        waiter.join(30)
    runtime.close()
    shutil.rmtree(root, ignore_errors=True)
    ok = worst <= TARGET_MS
    print(
        f"target: every endpoint p50 <= {TARGET_MS:.0f} ms: "
        f"{'met' if ok else 'NOT met'} (worst {worst:.2f} ms)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
