"""Budgets: a call whose worst case would pass a cap is not sent, and concurrent processes
together spend at most the cap (recomputed from what the fake server billed)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from empathy_core import Usage, default_table, utcnow
from empathy_routing.store import open_store

HERE = Path(__file__).parent
DAILY_CAP = 0.05


def billed(fake) -> float:
    """USD of every answered Messages request, from the usage the fake server reported."""
    table = default_table()
    total = 0.0
    for request in fake.received("/v1/messages"):
        if request.status != 200:
            continue
        u = request.response["usage"]
        usage = Usage(
            input_tokens=u["input_tokens"],
            output_tokens=u["output_tokens"],
            cache_write_5m_tokens=u["cache_creation"]["ephemeral_5m_input_tokens"],
            cache_write_1h_tokens=u["cache_creation"]["ephemeral_1h_input_tokens"],
            cache_read_tokens=u["cache_read_input_tokens"],
        )
        total += table.cost(request.body["model"], usage)
    return total


def test_four_processes_of_50_concurrent_calls_spend_at_most_the_daily_cap(
    fake_anthropic, empathy_cache_dir, tmp_path
):
    config = tmp_path / "empathy.config.yml"
    config.write_text(
        "provider: anthropic\n"
        "plugins:\n  settings:\n"
        "    empathy-anthropic: {max_retries: 0}\n"
        f"    empathy-routing:\n      budgets: {{daily: {DAILY_CAP}}}\n"
    )
    env = {**os.environ, "EMPATHY_CONFIG": str(config), "EMPATHY_CACHE_DIR": str(empathy_cache_dir)}
    workers = [
        subprocess.Popen(
            [sys.executable, str(HERE / "budget_worker.py"), "50"], env=env, stdout=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    outputs = [json.loads(w.communicate(timeout=300)[0]) for w in workers]
    assert all(w.returncode == 0 for w in workers)
    sent = sum(o["sent"] for o in outputs)
    refused = [m for o in outputs for m in o["refused"]]
    assert sent + len(refused) == 200
    assert refused, "the cap never bound: make the calls dearer"
    assert all("daily cap ($0.0500) would be passed" in m for m in refused)
    answered = [r for r in fake_anthropic.received("/v1/messages") if r.status == 200]
    assert len(answered) == sent
    spent = billed(fake_anthropic)
    assert 0 < spent <= DAILY_CAP
    store = open_store(f"sqlite:///{empathy_cache_dir / 'routing.db'}")
    try:  # every reservation was settled to the billed cost
        assert abs(store.spend(utcnow().date().isoformat()).day - spent) < 1e-6
    finally:
        store.close()


def test_a_run_that_would_pass_its_cap_ends_budget_exceeded_before_sending(
    configure, fake_anthropic, models_sent, one_call
):
    runtime = configure(
        """
        provider: anthropic
        plugins:
          settings:
            empathy-routing:
              budgets: {per_run: 0.0001}
        """
    )
    result = asyncio.run(one_call(empathy=runtime).execute({"topic": "x"}))
    assert result.status == "budget_exceeded"
    assert result.stages[0].status == "budget_exceeded"
    assert "per-run cap of run" in result.error and "the call was not sent" in result.error
    assert models_sent() == []


def test_a_workflow_cap_stops_that_workflow(configure, fake_anthropic, models_sent, one_call):
    runtime = configure(
        """
        provider: anthropic
        plugins:
          settings:
            empathy-routing:
              budgets: {workflows: {route-test: 0.0001}, per_workflow_daily: 1.0}
        """
    )
    result = asyncio.run(one_call(empathy=runtime).execute({"topic": "x"}))
    assert result.status == "budget_exceeded"
    assert "the daily cap of workflow 'route-test' ($0.0001) would be passed" in result.error
    assert models_sent() == []


def test_the_workflow_cap_counts_only_that_workflow(configure, fake_anthropic, one_call):
    runtime = configure(
        """
        provider: anthropic
        plugins:
          settings:
            empathy-routing:
              budgets: {workflows: {other-workflow: 0.0}, per_workflow_daily: 1.0}
        """
    )
    result = asyncio.run(one_call(empathy=runtime).execute({"topic": "x"}))
    assert result.succeeded, result.error
    assert len(fake_anthropic.received("/v1/messages")) == 1
