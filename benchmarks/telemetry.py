"""Telemetry stores: write throughput, and ``get_stats(days=30)`` over 1,000,000 records.

In one run, on fresh stores in a temporary directory:

- write throughput of the SQLite store: ``write_many`` in batches of 1,000 (loading the
  whole data set) and single ``write`` calls (one transaction each), and of the JSONL
  files (``append`` in the same batches);
- ``UsageTracker.get_stats(days=30)`` latency over the SQLite store (median of
  ``BENCH_ROUNDS`` runs) and over the same records in JSONL day files (the scan
  baseline, median of 3 runs), with the ratio between them.

Records are spread evenly over the last ``BENCH_SPAN_DAYS`` (default 60) days: 8
workflows x 3 stages, the tier picks the model, 10% batch, 3% failures, 40% cache reads.
``BENCH_RECORDS`` (default 1,000,000) scales the data set.

Targets: get_stats <= 50 ms and >= 50x faster than the JSONL scan.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs

from empathy_core import Empathy, Usage, UsageRecord, UsageTracker, utcnow
from empathy_jsonl.files import JsonlFiles
from empathy_jsonl.store import JsonlTelemetryStore
from empathy_sqlite.telemetry_store import SQLiteTelemetryStore

RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
SPAN_DAYS = int(os.environ.get("BENCH_SPAN_DAYS", "60"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "21"))
BATCH = 1000
SINGLE_WRITES = 5000
LATENCY_TARGET_MS = 50.0
RATIO_TARGET = 50.0

WORKFLOWS = [f"workflow-{i}" for i in range(8)]
STAGES = ("scan", "analyse", "summarise")
MODELS = {"cheap": "claude-haiku-4-5", "capable": "claude-sonnet-4-6", "premium": "claude-opus-4-6"}
PRICES = {"cheap": (1.0, 5.0), "capable": (3.0, 15.0), "premium": (5.0, 25.0)}


def records(count: int, seed: int = 7) -> Iterator[list[UsageRecord]]:
    """``count`` records, oldest first, in batches of ``BATCH``."""
    rng = random.Random(seed)
    end = utcnow()
    step = timedelta(days=SPAN_DAYS) / count
    batch: list[UsageRecord] = []
    for i in range(count):
        tier = rng.choice(("cheap", "cheap", "capable", "premium"))
        success = rng.random() > 0.03
        read = rng.randint(500, 5000) if success and rng.random() < 0.4 else 0
        usage = Usage(rng.randint(50, 4000), rng.randint(20, 1500), 0, 0, read) if success else Usage()
        price_in, price_out = PRICES[tier]
        cost = (usage.input_tokens * price_in + usage.output_tokens * price_out + read * price_in * 0.1) / 1e6
        batch.append(
            UsageRecord(
                workflow=rng.choice(WORKFLOWS),
                stage=rng.choice(STAGES),
                tier=tier,
                provider="anthropic",
                model=MODELS[tier],
                usage=usage,
                cost=round(cost, 9),
                duration_ms=rng.uniform(200, 9000),
                success=success,
                batch=rng.random() < 0.1,
                timestamp=end - step * (count - i),
                record_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            )
        )
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(sqlite: SQLiteTelemetryStore, jsonl: JsonlFiles) -> tuple[float, float]:
    """Write every record to both stores; returns records/s for each."""
    sqlite_s = jsonl_s = 0.0
    for batch in records(RECORDS):
        start = time.perf_counter()
        sqlite.write_many(batch)
        middle = time.perf_counter()
        jsonl.append(batch)
        sqlite_s += middle - start
        jsonl_s += time.perf_counter() - middle
    return RECORDS / sqlite_s, RECORDS / jsonl_s


def single_writes(store: SQLiteTelemetryStore) -> float:
    """records/s of one-record transactions."""
    sample = [r for batch in records(SINGLE_WRITES, seed=11) for r in batch]
    start = time.perf_counter()
    for record in sample:
        store.write(record)
    return SINGLE_WRITES / (time.perf_counter() - start)


def latency_ms(tracker: UsageTracker, rounds: int) -> tuple[float, dict]:
    """Median ``get_stats(days=30)`` latency in ms, and the last answer."""
    times = []
    stats: dict = {}
    for _ in range(rounds):
        start = time.perf_counter()
        stats = tracker.get_stats(days=30)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), stats


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="empathy-bench-") as tmp:
        root = Path(tmp)
        empathy = Empathy()
        sqlite = SQLiteTelemetryStore(f"sqlite:///{root / 'usage.db'}")
        jsonl_url = f"jsonl:///{root / 'jsonl'}"
        files = JsonlFiles(root / "jsonl", max_bytes=64 * 1024 * 1024)
        print(f"records: {RECORDS:,} over {SPAN_DAYS} days", flush=True)

        sqlite_rate, jsonl_rate = load(sqlite, files)
        print(f"write_many x{BATCH} sqlite: {sqlite_rate:,.0f} records/s", flush=True)
        print(f"append x{BATCH} jsonl:      {jsonl_rate:,.0f} records/s", flush=True)
        single = SQLiteTelemetryStore(f"sqlite:///{root / 'single.db'}")
        single_rate = single_writes(single)
        single.close()
        print(f"single write sqlite:      {single_rate:,.0f} records/s "
              f"(batches are {sqlite_rate / single_rate:.1f}x faster)", flush=True)  # fmt: skip

        sqlite_ms, sqlite_stats = latency_ms(UsageTracker(empathy, store=sqlite), ROUNDS)
        jsonl_ms, jsonl_stats = latency_ms(UsageTracker(empathy, store=JsonlTelemetryStore(jsonl_url)), 3)
        size_mb = sum(p.stat().st_size for p in (root / "jsonl").iterdir()) / 1e6
        db_mb = sum(p.stat().st_size for p in root.glob("usage.db*")) / 1e6
        print(f"database: {db_mb:,.0f} MB; jsonl files: {size_mb:,.0f} MB")
        print(f"get_stats(days=30) sqlite: {sqlite_ms:8.2f} ms (median of {ROUNDS})")
        print(f"get_stats(days=30) jsonl:  {jsonl_ms:8.2f} ms (median of 3)")
        ratio = jsonl_ms / sqlite_ms
        print(f"ratio jsonl / sqlite: {ratio:,.0f}x")
        since = utcnow() - timedelta(days=30)
        answers = [
            sorted((attrs.evolve(g, duration_ms=round(g.duration_ms)) for g in store.stats(since)), key=repr)
            for store in (sqlite, JsonlTelemetryStore(jsonl_url))
        ]
        same = answers[0] == answers[1]  # durations are float sums: compared to the millisecond
        print(f"same groups from both stores: {same} ({sqlite_stats['total_calls']:,} calls, "
              f"${sqlite_stats['total_cost']:,.2f}; jsonl {jsonl_stats['total_calls']:,})")  # fmt: skip
        sqlite.close()
        ok = same and sqlite_ms <= LATENCY_TARGET_MS and ratio >= RATIO_TARGET
        print(
            f"targets: get_stats <= {LATENCY_TARGET_MS:.0f} ms and >= {RATIO_TARGET:.0f}x jsonl: "
            f"{'met' if ok else 'NOT met'}"
        )
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
