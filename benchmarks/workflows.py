"""code-review on a 50-file fixture: wall time and cost cold, then with a warm prompt cache.

Four runs of the ``code-review`` workflow on the same generated repository (50 Python
files with known ruff and bandit findings), against the fake Anthropic server with
scripted JSON replies (so every stage, including the premium architect review, runs):

- run 1 is **cold**: a fresh cache directory (no analyser results cached) and an empty
  prompt cache, so each model stage writes its prefix (files + scan findings) to it;
- runs 2 and 3 are **warm**: the analysers answer from the orchestrate cache and each
  stage reads its prefix from the prompt cache;
- run 4 (**prompt cold**) has warm analysers but the server's prompt cache emptied: it
  separates what the prompt cache saves from what the analyser cache saves.

Each stage runs on its own tier's model and Anthropic caches per model, so the saving
comes from a stage's second and third runs, not from one stage to the next. Costs are
the usage records' (what the fake server billed, at the pricing file's prices); the
ratios are warm / cold, measured in this run.

    python benchmarks/workflows.py [--files 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

MODULE = '''"""Module {i}."""

import os
import subprocess


def handler_{i}(request, secret="hunter2"):
    """Handle one request."""
    if request.get("debug"):
        return eval(request["expr"])
    subprocess.call(request["cmd"], shell=True)
    total = 0
    for key in request:
        total += len(key)
    return total


def helper_{i}(values):
    """Sum the values."""
    return sum(v for v in values if v)
'''


NAMES = ("cold", "warm 1", "warm 2", "prompt cold")


def make_repo(root: Path, files: int) -> None:
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text('"""Benchmark package."""\n')
    for i in range(files - 1):
        (root / "pkg" / f"mod_{i:02d}.py").write_text(MODULE.format(i=i))


def responder(params: dict[str, Any]) -> str:
    system = "\n".join(b.get("text", "") for b in params.get("system") or [])
    if "You triage Python files" in system:
        return json.dumps({"files": [{"file": "pkg/mod_00.py", "risk": "high", "reason": "eval and shell"}]})
    if "You are a senior Python reviewer" in system:
        issue = {"file": "pkg/mod_00.py", "line": 7, "severity": "high", "issue": "hard-coded default secret"}
        return json.dumps({"issues": [issue], "suggestions": ["validate requests at one boundary"]})
    return json.dumps({"suggestions": [{"suggestion": "one request parser", "files": ["pkg/mod_00.py"]}]})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["EMPATHY_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ.pop("EMPATHY_CONFIG", None)
        repo = Path(tmp) / "repo"
        make_repo(repo, args.files)
        from empathy_testing.fake_anthropic import fake_anthropic_server

        with fake_anthropic_server(responder=responder) as server:
            os.environ.update(server.env())
            rows = asyncio.run(bench(str(repo), server))
    cold = rows[0]
    print(f"code-review on {args.files} files, fake Anthropic server (in-process), {len(NAMES)} runs")
    heads = ("wall s", 9), ("cost $", 12), ("cache write", 13), ("cache read", 12), ("issues", 8)
    print("run          " + "".join(f"{name:>{width}}" for name, width in heads))
    for name, row in zip(NAMES, rows, strict=True):
        print(
            f"{name:<13}{row['wall']:>9.2f}{row['cost']:>12.6f}{row['write']:>13}{row['read']:>12}"
            f"{row['issues']:>8}"
        )
    for name, row in zip(NAMES[1:], rows[1:], strict=True):
        cost, wall = row["cost"] / cold["cost"], row["wall"] / cold["wall"]
        print(f"{name} / cold: cost {cost:.3f}x, wall time {wall:.3f}x")
    print("per stage, cold -> warm 1 cost:")
    for stage, cost in cold["stages"].items():
        warm = rows[1]["stages"][stage]
        print(f"  {stage:<18}{cost:.6f} -> {warm:.6f}  ({warm / cost:.3f}x)")


def make_sink() -> Any:
    """A telemetry plugin keeping every usage record in ``records``."""
    from empathy_core import hookimpl

    class Sink:
        def __init__(self) -> None:
            self.records: list[Any] = []

        @hookimpl
        def empathy_record_usage(self, record: Any) -> None:
            self.records.append(record)

    return Sink()


async def bench(repo: str, server: Any) -> list[dict[str, Any]]:
    """The runs of :data:`NAMES`; before the last, the server forgets its prompt cache."""
    from empathy_core import Empathy

    sink = make_sink()
    empathy = Empathy.from_config()
    empathy.add_plugin(sink, "benchmark-sink")
    empathy.configure()
    Empathy.set_current(empathy)
    rows = []
    try:
        workflow_cls = empathy.workflow("code-review")
        for name in NAMES:
            if name == NAMES[-1]:
                server.cache.clear()
            started = time.perf_counter()
            result = await workflow_cls(empathy=empathy, provider_name="anthropic").execute({"path": repo})
            wall = time.perf_counter() - started
            if result.status != "success":
                sys.exit(f"code-review did not succeed: {result.error}")
            empathy.flush()
            records = [r for r in sink.records if r.run_id == result.run_id]
            rows.append(
                {
                    "wall": wall,
                    "cost": result.cost,
                    "write": sum(r.usage.cache_creation_tokens for r in records),
                    "read": sum(r.usage.cache_read_tokens for r in records),
                    "issues": len(result.output["issues"]),
                    "status": result.status,
                    "stages": {s.name: s.cost for s in result.stages if s.cost},
                }
            )
    finally:
        empathy.close()
    return rows


if __name__ == "__main__":
    main()
