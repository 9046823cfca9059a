"""Run every benchmark (or the named ones) and print their figures.

    python benchmarks/run.py            # all
    python benchmarks/run.py startup    # benchmarks/startup.py only

Each benchmark is a script that measures its baseline in the same run and prints
ratios against it. None of them is part of the test suite.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def main(names: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run.py")
    if names:
        scripts = [p for p in scripts if p.stem in names]
    worst = 0
    for script in scripts:
        print(f"== {script.stem} ==", flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(script)]))
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
