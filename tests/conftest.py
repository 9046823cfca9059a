"""Shared fixtures for core tests: throw-away installed distributions."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def site_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A directory on ``sys.path`` (and ``PYTHONPATH`` for subprocesses) for test dists."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    monkeypatch.setenv("PYTHONPATH", str(path))
    return path


@pytest.fixture
def make_dist(site_dir: Path) -> Callable[..., Path]:
    """Install a tiny distribution with one ``empathy`` entry point into ``site_dir``.

    ``make_dist("empathy-demo", "demo", source)`` writes module ``empathy_demo_ep`` with
    ``source`` and a ``.dist-info`` whose entry point ``demo`` points at it.
    """

    def make(dist: str, entry_point: str, source: str, version: str = "1.2.3") -> Path:
        module = dist.replace("-", "_") + "_ep"
        (site_dir / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = site_dir / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(f"[empathy]\n{entry_point} = {module}\n", encoding="utf-8")
        importlib.invalidate_caches()
        sys.modules.pop(module, None)
        return site_dir / f"{module}.py"

    return make
