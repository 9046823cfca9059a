"""Checkpoint overhead per stage: p50 of a stage's duration with the SQLite, PostgreSQL and
Redis checkpoint stores vs no checkpoints (the baseline), measured in the same run.

Each configuration runs RUNS runs of a five-stage workflow on the ``mock`` provider (one
LLM call per stage, no latency), so the difference is what checkpointing adds: the stage
output serialised with cattrs and one committed transaction per stage, plus a run record
at the start and a status at the end (reported per run). Stage durations are the
engine's ``StageResult.duration_ms`` (around the stage middleware chain). PostgreSQL and
Redis are skipped, saying why, when no server answers at ``EMPATHY_TEST_POSTGRES_URL`` /
``EMPATHY_REDIS_URL``.

    python benchmarks/checkpoints.py
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from typing import Any

import empathy_checkpoints.plugin as checkpoints_plugin
import empathy_sqlite.plugin as sqlite_plugin
import empathy_testing.plugin as testing_plugin
from empathy_checkpoints.testing import (
    POSTGRES_URL,
    REDIS_URL,
    Workflows,
    drop_schema,
    postgres_problem,
    redis_problem,
)
from empathy_core import BaseWorkflow, Empathy, EmpathyConfig, ModelTier, PluginsConfig

RUNS = 200
WARMUP = 20


class FiveStages(BaseWorkflow):
    name = "five-stages"
    stages = ["a", "b", "c", "d", "e"]

    async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
        reply = await self._call_llm(tier, "You are terse.", f"{stage_name}: {input_data['n']}")
        return {f"{stage_name}_text": reply.text, "findings": [stage_name] * 20}, 1, 1


PREFIX = f"empathy-bench-{uuid.uuid4().hex[:8]}"


def runtime(store: str | None) -> Empathy:
    settings: dict[str, Any] = {"empathy-checkpoints": {"store": store}} if store else {}
    if store and store.startswith("redis"):
        settings["empathy-redis"] = {"key_prefix": PREFIX}
    config = EmpathyConfig(provider="mock", plugins=PluginsConfig(settings=settings))
    empathy = Empathy(config, plugins=[sqlite_plugin, Workflows(FiveStages)])
    empathy.add_plugin(testing_plugin, "testing", dist="empathy-testing")
    if store:
        empathy.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
        if store.startswith("postgres"):
            import empathy_postgres.plugin as postgres_plugin

            empathy.add_plugin(postgres_plugin, "postgres", dist="empathy-postgres")
        if store.startswith("redis"):
            import empathy_redis.plugin as redis_plugin

            empathy.add_plugin(redis_plugin, "redis", dist="empathy-redis")
    return empathy.configure()


def measure(empathy: Empathy) -> tuple[float, float]:
    """(p50 stage ms, p50 run ms) over RUNS runs after WARMUP."""
    stages: list[float] = []
    runs: list[float] = []

    async def go() -> None:
        for n in range(WARMUP + RUNS):
            started = time.perf_counter()
            result = await FiveStages(empathy=empathy, provider_name="mock").execute({"n": n})
            assert result.succeeded, result.error
            if n >= WARMUP:
                runs.append((time.perf_counter() - started) * 1000)
                stages.extend(s.duration_ms for s in result.stages)

    asyncio.run(go())
    empathy.close()
    return statistics.median(stages), statistics.median(runs)


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        os.environ["EMPATHY_CACHE_DIR"] = cache
        configs: dict[str, str | None] = {"no checkpoints": None, "SQLite": f"sqlite:///{cache}/runs.db"}
        problems = {"PostgreSQL": postgres_problem(), "Redis": redis_problem()}
        schema = f"empathy_bench_{uuid.uuid4().hex[:8]}"
        if problems["PostgreSQL"] is None:
            configs["PostgreSQL"] = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
        if problems["Redis"] is None:
            configs["Redis"] = REDIS_URL
        try:
            results = {name: measure(runtime(store)) for name, store in configs.items()}
        finally:
            _clean(problems, schema)
    base_stage, base_run = results["no checkpoints"]
    print(f"{RUNS} runs x 5 stages per configuration (mock provider), p50:")
    for name, (stage, run) in results.items():
        print(
            f"  {name:<15} stage {stage:7.3f} ms (+{stage - base_stage:6.3f} ms, {stage / base_stage:5.2f}x)"
            f"   run {run:7.3f} ms (+{run - base_run:6.3f} ms, {run / base_run:5.2f}x)"
        )
    for name, problem in problems.items():
        if problem is not None:
            print(f"  {name:<15} skipped: {problem}")


def _clean(problems: dict[str, str | None], schema: str) -> None:
    if problems["PostgreSQL"] is None:
        drop_schema(POSTGRES_URL, schema)
    if problems["Redis"] is None:
        import redis

        with redis.Redis.from_url(REDIS_URL) as client:
            keys = list(client.scan_iter(match=f"{PREFIX}:*", count=1000))
            if keys:
                client.delete(*keys)


if __name__ == "__main__":
    main()
