"""``empathy plugins uninstall`` names what is not installed and exits 2, uninstalling nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def empathy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMPATHY_")}
    env.update(EMPATHY_CACHE_DIR=str(tmp_path / "cache"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    return subprocess.run(
        [sys.executable, "-m", "empathy_core", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        cwd=tmp_path,
        env=env,
        timeout=120,
        check=False,
    )


def test_uninstalling_a_distribution_that_is_not_installed_exits_2(tmp_path: Path) -> None:
    done = empathy(tmp_path, "plugins", "uninstall", "not-installed", "empathy-nope-xyz")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(
        "Error: not installed: 'not-installed', 'empathy-nope-xyz'; nothing was uninstalled"
    )


@pytest.mark.parametrize("name", ["empathy-core", "empathy_core", "Empathy.Core"])
def test_the_core_is_never_uninstalled_whatever_the_spelling(tmp_path: Path, name: str) -> None:
    done = empathy(tmp_path, "plugins", "uninstall", name)
    assert done.returncode == 2 and "refusing to uninstall empathy-core itself" in done.stderr
    assert "Traceback" not in done.stderr
