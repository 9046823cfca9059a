"""The bounded config loader on hostile documents vs parsing the default config file.

Baseline, measured in the same run: ``parse_config`` of the file ``empathy init`` writes.
Each hostile document must be refused (one ``ConfigError``), and quickly:

- billion laughs (nine levels of nine aliases): refused at the node bound, target <= 50x;
- 50,000 duplicate keys: refused at the second one, target <= 200x;
- 20,000 distinct keys with one duplicate at the end: target <= 2,000x;
- 200 levels of nesting: refused at depth 64, target <= 50x.

    python benchmarks/config_loader.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

from empathy_core import ConfigError, Empathy, parse_config

ROUNDS = 7
SOURCE = Path("empathy.config.yml")


def laughs() -> str:
    lines = ["plugins:", "  settings:", "    laughs:", '      l0: &l0 "ha"']
    for level in range(1, 10):
        refs = ", ".join(f"*l{level - 1}" for _ in range(9))
        lines.append(f"      l{level}: &l{level} [{refs}]")
    return "\n".join(lines) + "\n"


DOCUMENTS: dict[str, tuple[str, float]] = {
    "billion laughs": (laughs(), 50),
    "50,000 duplicate keys": ("provider: mock\n" * 50_000, 200),
    "20,000 keys, one duplicate": (
        "plugins:\n  settings:\n    x:\n"
        + "".join(f"      k{i}: {i}\n" for i in range(20_000))
        + "      k7: again\n",
        2000,
    ),
    "200 levels deep": (
        "a:\n" + "".join("  " * i + f"b{i}:\n" for i in range(1, 200)) + "  " * 200 + "x\n",
        50,
    ),
}


def median_ms(action: Callable[[], object]) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def refused(text: str) -> Callable[[], None]:
    def parse() -> None:
        try:
            parse_config(text, SOURCE)
        except ConfigError:
            return
        raise SystemExit("a hostile document was accepted")

    return parse


def main() -> int:
    from empathy_core.config_template import render_config

    default = render_config(Empathy())
    base = median_ms(lambda: parse_config(default, SOURCE))
    print(f"{'document':<28} {'median ms':>10} {'ratio':>8} {'target':>8}")
    print(f"{'baseline: default config':<28} {base:>10.2f} {1:>7.1f}x")
    missed = 0
    for name, (text, target) in DOCUMENTS.items():
        ms = median_ms(refused(text))
        ratio = ms / base
        missed += ratio > target
        print(f"{name:<28} {ms:>10.2f} {ratio:>7.1f}x {target:>7g}x{'' if ratio <= target else '  MISSED'}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
