"""The fake Anthropic API failing 30% of requests (429, 529, 500, dropped connections and
client timeouts): every run ends successful after at most a few resumes, no finished
stage is paid twice, and every answered call is one usage record (none lost)."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import pytest

import empathy_anthropic.plugin as anthropic_plugin
import empathy_checkpoints.plugin as checkpoints_plugin
import empathy_sqlite.plugin as sqlite_plugin
from empathy_checkpoints.durable import open_store, resume_run
from empathy_checkpoints.testing import ResumableWorkflow, Workflows, by_stage
from empathy_core import EmpathyConfig, PluginsConfig
from empathy_testing.fake_anthropic import DISCONNECT, FakeAnthropicServer, Fault

RUNS = 12
FAULT_RATE = 0.3
TIMEOUT = "timeout"
CLIENT_TIMEOUT = 0.5


class FlakyServer(FakeAnthropicServer):
    """Fails ``FAULT_RATE`` of the message requests, drawn from a seeded generator."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.random = random.Random(seed)
        self.faults: dict[str, int] = {}

    def _take_fault(self, path: str) -> Fault | None:
        if path != "/v1/messages" or self.random.random() >= FAULT_RATE:
            return None
        kind = self.random.choice([429, 529, 500, DISCONNECT, TIMEOUT])
        self.faults[str(kind)] = self.faults.get(str(kind), 0) + 1
        if kind == TIMEOUT:  # answer nothing until the client gave up
            time.sleep(CLIENT_TIMEOUT * 2)
            return Fault(DISCONNECT)
        return Fault(kind, retry_after=None if kind == DISCONNECT else 0.01)


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> Any:
    with FlakyServer(seed=15) as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        yield server


def test_runs_under_30_percent_faults_finish_with_nothing_paid_twice(flaky, empathy, usage_records):
    settings = {"empathy-anthropic": {"max_retries": 2, "timeout": CLIENT_TIMEOUT}}
    empathy.config = EmpathyConfig(provider="anthropic", plugins=PluginsConfig(settings=settings))
    empathy.plugins.append(sqlite_plugin)
    runtime = empathy.get()
    runtime.add_plugin(anthropic_plugin, "anthropic", dist="empathy-anthropic")
    runtime.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
    runtime.add_plugin(Workflows(ResumableWorkflow), "samples")

    async def run_all() -> tuple[int, list[Any]]:
        resumed, results = 0, []
        for n in range(RUNS):
            workflow = ResumableWorkflow(empathy=runtime, provider_name="anthropic")
            result = await workflow.execute({"topic": f"t{n}"})
            for _ in range(10):
                if result.succeeded:
                    break
                assert "Traceback" not in (result.error or "")
                resumed += 1
                result = await resume_run(runtime, result.run_id, provider_name="anthropic")
            results.append(result)
        return resumed, results

    resumed, results = asyncio.run(run_all())
    runtime.flush()
    assert [r.status for r in results] == ["success"] * RUNS
    assert sum(flaky.faults.values()) > RUNS  # the faults did happen, of every kind
    assert set(flaky.faults) == {"429", "529", "500", DISCONNECT, TIMEOUT}
    paid = by_stage(flaky.received("/v1/messages"), status=200)
    assert len(paid) == 3 * RUNS and set(paid.values()) == {1}  # no duplicate paid call
    answered = [r for r in usage_records if r.success]
    assert len(answered) == 3 * RUNS  # no usage record lost
    store = open_store(runtime)
    assert all(len(store.stages(r.run_id)) == 3 for r in results)  # no checkpoint lost
    print(f"faults {flaky.faults}, runs resumed {resumed}")
