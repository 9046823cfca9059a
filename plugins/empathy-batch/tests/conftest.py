"""Fixtures: a runtime on the Anthropic provider pointed at the fake server, with the SQLite
memory store in the test's cache directory, polling batches quickly."""

from __future__ import annotations

from typing import Any

import pytest

import empathy_anthropic.plugin as anthropic_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import EmpathyConfig


@pytest.fixture
def runtime(empathy: Any, fake_anthropic: Any, usage_records: list[Any]) -> Any:
    config = EmpathyConfig(provider="anthropic")
    config.batch.poll_interval, config.batch.timeout = 0.01, 30.0  # polls stay >= 1 s apart
    empathy.config = config
    empathy.plugins.append(sqlite_plugin)
    return empathy.add(anthropic_plugin, name="anthropic", dist="empathy-anthropic")
