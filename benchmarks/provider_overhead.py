"""Per-call overhead of the framework over the raw ``AsyncAnthropic`` SDK, same fake server.

Three ways to make the same Messages call, measured in one run against one fake
Anthropic server (a separate process, so that it does not share the GIL with the client):

- ``raw SDK``: ``AsyncAnthropic.messages.create`` with the very body the provider sends;
- ``provider``: ``AnthropicProvider.complete`` (request building, usage mapping);
- ``engine``: a one-stage workflow's ``execute()``: routing, the stage and LLM middleware
  chains (telemetry included), and the usage record handed to the background writer
  that stores it and calls ``empathy_record_usage`` on every installed plugin, with
  ``EMPATHY_CACHE_DIR`` in a temp dir.

Sequential calls are interleaved call by call; concurrent calls run in rounds of 100
per mode at the given concurrency, modes alternating. Targets: engine p50 overhead
<= 1 ms over the raw SDK sequentially, and engine p50 <= 1.15x the raw SDK's p50 at
concurrency 50.

    python benchmarks/provider_overhead.py [--calls 1000] [--concurrent-calls 500] [--concurrency 50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

TARGET_MS = 1.0
TARGET_RATIO = 1.15
ROUND = 100


def start_server() -> tuple[subprocess.Popen[str], str]:
    """The fake Anthropic server in a child process; returns it and its URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "empathy_testing.fake_anthropic", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = next((word for word in line.split() if word.startswith("http://")), "")
    if not url:
        proc.kill()
        raise SystemExit(f"fake server did not start: {line!r}")
    return proc, url


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed(call: Callable[[], Awaitable[Any]], into: list[float]) -> None:
    start = time.perf_counter()
    await call()
    into.append((time.perf_counter() - start) * 1000)


async def measure(calls: dict[str, Callable[[], Awaitable[Any]]], n: int, concurrent: int, width: int) -> Any:
    for call in calls.values():  # warm-up: imports, connections, caches
        for _ in range(50):
            await call()
    sequential: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(n):
        for name, call in calls.items():
            await timed(call, sequential[name])

    parallel: dict[str, list[float]] = {name: [] for name in calls}
    walls: dict[str, float] = dict.fromkeys(calls, 0.0)
    for _ in range(max(1, concurrent // ROUND)):
        for name, call in calls.items():
            gate = asyncio.Semaphore(width)

            async def one(
                call: Callable[[], Awaitable[Any]] = call, name: str = name, gate: asyncio.Semaphore = gate
            ) -> None:
                async with gate:
                    await timed(call, parallel[name])

            start = time.perf_counter()
            await asyncio.gather(*(one() for _ in range(min(ROUND, concurrent))))
            walls[name] += time.perf_counter() - start
    return sequential, parallel, walls


def report(title: str, samples: dict[str, list[float]], walls: dict[str, float] | None = None) -> float:
    names = list(samples)
    base50, base99 = percentile(samples[names[0]], 0.5), percentile(samples[names[0]], 0.99)
    print(f"\n{title}")
    head = f"{'mode':10} {'calls':>6} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8} {'p50 x':>6}"
    print(head + (f" {'calls/s':>8}" if walls else ""))
    overhead = 0.0
    for name in names:
        p50, p99 = percentile(samples[name], 0.5), percentile(samples[name], 0.99)
        overhead = p50 - base50
        line = (
            f"{name:10} {len(samples[name]):6d} {p50:8.3f} {p99:8.3f} {p50 - base50:+8.3f} "
            f"{p99 - base99:+8.3f} {p50 / base50:5.2f}x"
        )
        if walls:
            line += f" {len(samples[name]) / walls[name]:8.0f}"
        print(line)
    return overhead


async def run(args: argparse.Namespace, url: str) -> None:
    import anthropic

    from empathy_anthropic.messages import create_params, effective_ttl, sdk_kwargs
    from empathy_core import BaseWorkflow, Empathy, LLMRequest, ModelTier, load_config

    class OneCall(BaseWorkflow):
        name = "bench-one-call"
        stages = ("ask",)

        async def run_stage(self, stage_name: str, tier: ModelTier, input_data: dict[str, Any]) -> Any:
            response = await self.call_llm(input_data["request"])
            return response.text, response.usage.input_tokens, response.usage.output_tokens

    import empathy_anthropic.plugin
    import empathy_sqlite.plugin

    config = load_config()
    minimal = [empathy_anthropic.plugin, empathy_sqlite.plugin]  # the provider and the default store
    empathy = Empathy(config, entry_points=not args.no_plugins, plugins=minimal if args.no_plugins else ())
    empathy.configure()
    Empathy.set_current(empathy)
    loaded = sorted(name for name, info in empathy.infos.items() if info.status == "loaded")
    print(f"plugins loaded: {', '.join(loaded) or 'none'}; telemetry store: {config.telemetry.store_url()}")

    request = LLMRequest.from_text("How many tokens is this?", system="You answer briefly.", max_tokens=64)
    workflow = OneCall(empathy=empathy, provider_name="anthropic")
    provider = workflow.provider
    kwargs = sdk_kwargs(
        create_params(request, provider.model_for(request.tier), effective_ttl(request, "5m"))
    )
    raw = anthropic.AsyncAnthropic(base_url=url, max_retries=0)

    calls: dict[str, Callable[[], Awaitable[Any]]] = {
        "raw SDK": lambda: raw.messages.create(**kwargs),
        "provider": lambda: provider.complete(request),
        "engine": lambda: workflow.execute({"request": request}),
    }
    sequential, parallel, walls = await measure(calls, args.calls, args.concurrent_calls, args.concurrency)
    seq_overhead = report(f"sequential: {args.calls} calls per mode, interleaved", sequential)
    report(
        f"concurrent: {args.concurrent_calls} calls per mode at concurrency {args.concurrency}",
        parallel,
        walls,
    )
    ratio = percentile(parallel["engine"], 0.5) / percentile(parallel["raw SDK"], 0.5)
    verdict = "met" if seq_overhead <= TARGET_MS else "MISSED"
    print(
        f"\ntarget: engine p50 overhead <= {TARGET_MS:g} ms (sequential): {verdict} ({seq_overhead:+.3f} ms)"
    )
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"target: engine p50 <= {TARGET_RATIO:g}x raw SDK p50 at concurrency {args.concurrency}: "
        f"{verdict} ({ratio:.2f}x)"
    )
    await raw.close()
    await provider.aclose()
    empathy.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrent-calls", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument(
        "--no-plugins", action="store_true", help="only the anthropic provider and the SQLite store"
    )
    args = parser.parse_args()
    proc, url = start_server()
    os.environ.update(
        {
            "ANTHROPIC_BASE_URL": url,
            "ANTHROPIC_API_KEY": "sk-ant-benchmark-key",
            "EMPATHY_CACHE_DIR": tempfile.mkdtemp(prefix="empathy-bench-"),
        }
    )
    try:
        asyncio.run(run(args, url))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
