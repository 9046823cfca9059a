"""Fixtures: a runtime on the SQLite stores with the coordination plugin (``runtime``),
recorded calls with real prices (``record``), the dashboard app behind loopback rules
(``client``, a Starlette ``TestClient``) and polling (``poll``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

import empathy_coordination.plugin as coordination_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import EmpathyConfig, UsageTracker
from empathy_dashboard import Guard, create_app

BASE = "http://127.0.0.1:8765"
TOKEN = "test-token-0123456789"


@pytest.fixture
def runtime(empathy: Any) -> Any:
    empathy.config = EmpathyConfig(provider="mock")
    empathy.plugins += [sqlite_plugin, coordination_plugin]
    return empathy.get()


@pytest.fixture
def record(runtime: Any) -> Callable[..., Any]:
    """``record(workflow, stage, tier, model, input=, output=, cache_read=, run_id=, ...)``:
    one priced call in the configured telemetry store (visible at once)."""

    def track(workflow: str, stage: str, tier: str, model: str, **options: Any) -> Any:
        tokens = {
            "input": options.pop("input", 1000),
            "output": options.pop("output", 200),
            "cache_read": options.pop("cache_read", 0),
        }
        found = UsageTracker(runtime).track_llm_call(workflow, stage, tier, model, tokens=tokens, **options)
        runtime.flush()
        return found

    return track


@pytest.fixture
def guard() -> Guard:
    return Guard(bind_host="127.0.0.1", token=TOKEN)


@pytest.fixture
def client(runtime: Any, guard: Guard) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, guard, interval=0.05), base_url=BASE) as test_client:
        yield test_client
