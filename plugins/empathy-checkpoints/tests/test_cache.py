"""Idempotency keys on stage LLM requests and the opt-in response cache: repeats answered
at $0 (the fake Anthropic server sees each distinct request once), recorded as cache hits,
expiring after ``cache_ttl``."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import attrs
import pytest

import empathy_anthropic.plugin as anthropic_plugin
from empathy_checkpoints.cache import CACHE_HIT_PREFIX, KEY
from empathy_checkpoints.durable import resume_run
from empathy_checkpoints.testing import ResumableWorkflow, Workflows

pytestmark = pytest.mark.filterwarnings("error::empathy_core.PluginLoadWarning")


def anthropic_runtime(durable_with: Any, **settings: Any) -> Any:
    runtime = durable_with(provider="anthropic", **settings)
    runtime.add_plugin(anthropic_plugin, "anthropic", dist="empathy-anthropic")
    return runtime


def test_repeats_are_answered_from_the_cache_at_no_cost(fake_anthropic, empathy, durable_with, run_workflow,
                                                        usage_records):  # fmt: skip
    anthropic_runtime(durable_with, response_cache=True)
    first = run_workflow(ResumableWorkflow, {"topic": "cache"}, provider="anthropic")
    second = run_workflow(ResumableWorkflow, {"topic": "cache"}, provider="anthropic")
    assert first.status == second.status == "success"
    assert len(fake_anthropic.received("/v1/messages")) == 3
    assert first.cost > 0 and second.cost == 0.0
    assert [s.output for s in second.stages] == [s.output for s in first.stages]
    paid, hits = usage_records[:3], usage_records[3:]
    assert all(r.cost > 0 and not r.request_id.startswith(CACHE_HIT_PREFIX) for r in paid)
    assert [r.request_id for r in hits] == [f"{CACHE_HIT_PREFIX}{r.request_id}" for r in paid]
    assert all((r.cost, r.usage.total_tokens, r.run_id) == (0.0, 0, second.run_id) for r in hits)
    other = run_workflow(ResumableWorkflow, {"topic": "other"}, provider="anthropic")
    assert other.cost > 0 and len(fake_anthropic.received("/v1/messages")) == 6


def test_the_cache_is_off_by_default(fake_anthropic, empathy, durable_with, run_workflow):
    anthropic_runtime(durable_with)
    for _ in range(2):
        run_workflow(ResumableWorkflow, {"topic": "cache"}, provider="anthropic")
    assert len(fake_anthropic.received("/v1/messages")) == 6


def test_cached_responses_expire_after_the_ttl(fake_anthropic, empathy, durable_with, run_workflow):
    anthropic_runtime(durable_with, response_cache=True, cache_ttl=0.2)
    run_workflow(ResumableWorkflow, {"topic": "ttl"}, provider="anthropic")
    time.sleep(0.4)
    run_workflow(ResumableWorkflow, {"topic": "ttl"}, provider="anthropic")
    assert len(fake_anthropic.received("/v1/messages")) == 6


@attrs.define
class Recording:
    """A provider that records the requests it is asked, answering through ``inner``."""

    inner: Any
    requests: list[Any] = attrs.Factory(list)

    @property
    def name(self) -> str:
        return str(self.inner.name)

    def model_for(self, tier: Any) -> str:
        return str(self.inner.model_for(tier))

    async def complete(self, request: Any) -> Any:
        self.requests.append(request)
        return await self.inner.complete(request)


def test_each_stage_call_has_a_key_that_survives_resume(durable, monkeypatch):
    durable.add_plugin(Workflows(ResumableWorkflow), "samples")
    provider = Recording(durable.provider("mock"))
    monkeypatch.setenv("EMPATHY_TEST_FAIL_STAGE", "analyse")
    failed = asyncio.run(ResumableWorkflow(empathy=durable, provider=provider).execute({"topic": "k"}))
    monkeypatch.delenv("EMPATHY_TEST_FAIL_STAGE")
    monkeypatch.setattr(durable, "provider", lambda name=None: provider)
    asyncio.run(resume_run(durable, failed.run_id))
    keys = [r.metadata[KEY] for r in provider.requests]
    assert len(keys) == 4 and len(set(keys)) == 3  # scan, analyse, analyse again (same key), summarise
    assert keys[1] == keys[2]
    again = asyncio.run(ResumableWorkflow(empathy=durable, provider=provider).execute({"topic": "k"}))
    assert again.status == "success" and not set(r.metadata[KEY] for r in provider.requests[4:]) & set(keys)
