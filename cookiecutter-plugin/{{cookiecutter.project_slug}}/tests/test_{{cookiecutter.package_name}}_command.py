"""`empathy {{ cookiecutter.plugin_name }} FILE` through the real CLI (the plugin must be installed)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _empathy(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "empathy_core", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env=os.environ,
    )


def test_command_prints_the_summary(empathy_cache_dir, tmp_path: Path):
    source = tmp_path / "notes.txt"
    source.write_text("Plugins register workflows. Workflows run stages on tiers.", encoding="utf-8")
    proc = _empathy("{{ cookiecutter.plugin_name }}", str(source), "--provider", "mock")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("mock reply")
    assert "cost $0.000000" in proc.stderr


def test_command_reports_a_failed_stage_without_traceback(empathy_cache_dir):
    proc = _empathy("{{ cookiecutter.plugin_name }}", "-", "--provider", "mock", stdin="   ")
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: stage 'extract' failed")
    assert "Traceback" not in proc.stderr
