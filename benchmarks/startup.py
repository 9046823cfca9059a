"""Start-up: ``empathy --help`` and ``empathy workflow list`` vs ``import click, pluggy``.

Targets: ``--help`` <= 1.0x and ``workflow list`` <= 2.0x the baseline, with every
first-party plugin installed. Commands are interleaved (one of each per round) so that
machine noise hits all of them alike; the index is warmed first.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def _empathy() -> list[str]:
    exe = shutil.which("empathy", path=os.path.dirname(sys.executable)) or shutil.which("empathy")
    return [exe] if exe else [sys.executable, "-m", "empathy_core"]


def main() -> None:
    env = {**os.environ, "EMPATHY_CACHE_DIR": tempfile.mkdtemp(prefix="empathy-bench-")}
    commands = {
        "baseline: python -c 'import click, pluggy'": [sys.executable, "-c", "import click, pluggy"],
        "empathy --help": [*_empathy(), "--help"],
        "empathy workflow list": [*_empathy(), "workflow", "list"],
    }
    for argv in commands.values():  # warm the index and the OS caches
        subprocess.run(argv, env=env, capture_output=True, check=True)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(ROUNDS):
        for name, argv in commands.items():
            start = time.perf_counter()
            subprocess.run(argv, env=env, capture_output=True, check=True)
            samples[name].append((time.perf_counter() - start) * 1000)
    baseline = statistics.median(next(iter(samples.values())))
    print(f"{'command':45} {'median ms':>10} {'ratio':>7}")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:45} {median:10.1f} {median / baseline:6.2f}x")
    print(f"({ROUNDS} interleaved rounds; targets: --help <= 1.0x, workflow list <= 2.0x)")


if __name__ == "__main__":
    main()
