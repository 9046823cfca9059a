"""UsageTracker and the core's store writer, through a real runtime and SQLite."""

from __future__ import annotations

import csv
import json
import logging
import os
import stat
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import (
    ENTRY_FIELDS,
    Empathy,
    EmpathyConfig,
    EmpathyError,
    PricingError,
    StorageError,
    TelemetryConfig,
    Usage,
    UsageRecord,
    UsageTracker,
    hash_user_id,
    utcnow,
)
from empathy_core.privacy import SALT_FILE
from empathy_testing.sample_workflows import ThreeTierWorkflow

Review = ThreeTierWorkflow


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cache"
    monkeypatch.setenv("EMPATHY_CACHE_DIR", str(path))
    return path


@pytest.fixture
def make_tracker(cache: Path) -> Iterator[Callable[..., UsageTracker]]:
    """``make_tracker(**telemetry)``: a tracker on a new runtime (builtins plus the SQLite
    store); every runtime is closed after the test."""
    runtimes: list[Empathy] = []

    def make(**telemetry: object) -> UsageTracker:
        config = EmpathyConfig(telemetry=TelemetryConfig(**telemetry))
        runtimes.append(Empathy(config, plugins=[sqlite_plugin]))
        return UsageTracker(runtimes[-1])

    yield make
    for runtime in runtimes:
        runtime.close()


@pytest.fixture
def tracker(make_tracker) -> UsageTracker:
    return make_tracker()


def track_three_calls(tracker: UsageTracker) -> None:
    tracker.track_llm_call(
        workflow="code-review",
        stage="scan",
        tier="CHEAP",
        model="claude-haiku-4-5",
        tokens={"input": 1000, "output": 500, "cache_read": 2000, "cache_write": 400},
        duration_ms=100,
    )
    tracker.track_llm_call(
        workflow="code-review",
        stage="summarise",
        tier="premium",
        model="claude-opus-4-6",
        tokens={},
        success=False,
        error="ProviderError: overloaded",
        duration_ms=50,
    )
    tracker.track_llm_call(
        workflow="bug-predict",
        stage="analyse",
        tier="capable",
        model="claude-sonnet-4-6",
        tokens={"input": 2000, "output": 1000},
        batch=True,
        duration_ms=150,
    )


def test_empty_store_reports_zeros_and_no_savings(tracker: UsageTracker) -> None:
    stats = tracker.get_stats(days=7)
    assert stats["total_calls"] == 0
    assert stats["total_cost"] == 0
    assert stats["avg_cost_per_call"] == 0
    assert stats["cache_hit_rate"] == 0
    assert stats["cache_savings"] == 0
    assert stats["baseline_cost"] == 0 and stats["savings"] == 0 and stats["savings_percent"] == 0
    assert stats["by_tier"] == stats["by_workflow"] == stats["by_model"] == {}
    cache = tracker.get_cache_stats(days=7)
    assert (cache["calls"], cache["hits"], cache["hit_rate"], cache["savings"]) == (0, 0, 0, 0)
    assert tracker.get_recent_entries() == []


def test_stats_are_exact_figures_from_recorded_tokens(tracker: UsageTracker) -> None:
    track_three_calls(tracker)
    stats = tracker.get_stats(days=7)
    # haiku 1/5 $/MTok: 1000 + 500*5 + 400*1.25 + 2000*0.1 = 4200 -> $0.0042
    # sonnet 3/15, batch: (2000*3 + 1000*15) / 2 = 10500 -> $0.0105; the failed call costs 0
    assert stats["total_calls"] == 3
    assert stats["failed_calls"] == 1
    assert stats["total_cost"] == pytest.approx(0.0147, abs=1e-12)
    assert stats["avg_cost_per_call"] == pytest.approx(0.0049, abs=1e-12)
    assert stats["tokens"] == {
        "input": 3000,
        "output": 1500,
        "cache_write": 400,
        "cache_read": 2000,
        "total": 6900,
    }
    assert stats["cache_hit_rate"] == pytest.approx(100 / 3)
    # cache: 2000 reads * 0.9 * $1 - 400 writes * 0.25 * $1 = 1700 -> $0.0017
    assert stats["cache_savings"] == pytest.approx(0.0017, abs=1e-12)
    # all on opus 5/25: 5000 + 12500 + 400*1.25*5 + 2000*0.1*5 = 21000; (10000 + 25000)/2 = 17500
    assert stats["baseline_model"] == "claude-opus-4-6"
    assert stats["baseline_cost"] == pytest.approx(0.0385, abs=1e-12)
    assert stats["savings"] == pytest.approx(0.0238, abs=1e-12)
    assert stats["by_tier"]["cheap"]["cost"] == pytest.approx(0.0042, abs=1e-12)
    assert stats["by_tier"]["premium"]["failed_calls"] == 1
    assert set(stats["by_workflow"]) == {"code-review", "bug-predict"}
    assert stats["by_workflow"]["code-review"]["calls"] == 2
    assert stats["by_model"]["claude-sonnet-4-6"]["tokens"]["output"] == 1000
    cache = tracker.get_cache_stats(days=7)
    assert cache["hit_rate"] == pytest.approx(1 / 3)
    assert cache["savings"] == pytest.approx(0.0017, abs=1e-12)
    assert cache["by_workflow"]["code-review"]["hits"] == 1


def test_days_bound_the_window(tracker: UsageTracker) -> None:
    old = UsageRecord(
        "old", "s", "cheap", "anthropic", "claude-haiku-4-5", Usage(10, 10), 0.5,
        timestamp=utcnow() - timedelta(days=10),
    )  # fmt: skip
    tracker.store.write(old)
    tracker.track_llm_call("new", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1})
    assert tracker.get_stats(days=7)["total_calls"] == 1
    assert tracker.get_stats(days=30)["total_calls"] == 2
    assert tracker.get_stats(days=None)["total_calls"] == 2
    assert [e["workflow"] for e in tracker.get_recent_entries(limit=10, days=30)] == ["new", "old"]
    with pytest.raises(ValueError, match="days must be positive"):
        tracker.get_stats(days=0)


def test_cost_rules(tracker: UsageTracker) -> None:
    given = tracker.track_llm_call("w", "s", "cheap", "gpt-4o", cost=0.25, tokens={"input": 10})
    assert given.cost == 0.25
    with pytest.raises(PricingError, match="gpt-4o"):
        tracker.track_llm_call("w", "s", "cheap", "gpt-4o", tokens={"input": 10})
    with pytest.raises(ValueError, match="unknown token kind 'prompt'"):
        tracker.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"prompt": 3})
    stats = tracker.get_stats()
    assert stats["total_calls"] == 1 and stats["total_cost"] == 0.25
    assert stats["unpriced_models"] == ["gpt-4o"]  # its cache savings cannot be priced


def test_claimed_cache_hit_without_read_tokens_is_not_counted(
    tracker: UsageTracker, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="empathy.telemetry"):
        tracker.track_llm_call(
            "w", "s", "CHEAP", "claude-haiku-4-5", tokens={"input": 1000, "output": 500},
            cache_hit=True, cache_type="prompt", duration_ms=1200,
        )  # fmt: skip
    assert "without cache_read tokens" in caplog.text
    assert tracker.get_stats(days=7)["cache_hit_rate"] == 0


def test_user_ids_are_hashed_with_a_private_salt_and_prompts_dropped(
    tracker: UsageTracker, cache: Path
) -> None:
    tracker.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1}, user_id="alice",
                           prompt="secret source code")  # fmt: skip
    [entry] = tracker.get_recent_entries()
    salt_file = cache / SALT_FILE
    assert stat.S_IMODE(salt_file.stat().st_mode) == 0o600
    assert entry["user_id"] == hash_user_id("alice", salt_file.read_bytes().strip())
    assert entry["user_id"].startswith("sha256:") and "alice" not in entry["user_id"]
    assert entry["prompt"] is None


def test_plain_user_ids_and_prompts_when_configured(make_tracker) -> None:
    tracker = make_tracker(hash_user_ids=False, store_prompts=True)
    tracker.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1}, user_id="alice",
                           prompt="hello")  # fmt: skip
    [entry] = tracker.get_recent_entries()
    assert (entry["user_id"], entry["prompt"]) == ("alice", "hello")


def test_export_csv_and_json(tracker: UsageTracker, tmp_path: Path) -> None:
    track_three_calls(tracker)
    out = tmp_path / "usage.csv"
    assert tracker.export_to_csv(out) == 3
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == ENTRY_FIELDS
    assert [r["workflow"] for r in rows] == ["code-review", "code-review", "bug-predict"]
    assert sum(float(r["cost"]) for r in rows) == pytest.approx(0.0147)
    out_json = tmp_path / "usage.json"
    assert tracker.export_to_json(out_json, days=7) == 3
    data = json.loads(out_json.read_text())
    assert [d["stage"] for d in data] == ["scan", "summarise", "analyse"]
    assert tracker.export_to_json(tmp_path / "empty.json", days=7) == 3
    tracker.reset()
    assert tracker.export_to_json(tmp_path / "empty.json") == 0
    assert json.loads((tmp_path / "empty.json").read_text()) == []


def test_export_to_a_missing_directory_is_one_error_and_leaves_nothing(
    tracker: UsageTracker, tmp_path: Path
) -> None:
    track_three_calls(tracker)
    with pytest.raises(EmpathyError, match="cannot write"):
        tracker.export_to_csv(tmp_path / "missing" / "usage.csv")
    assert not (tmp_path / "missing").exists()


def test_reset_forgets_everything(tracker: UsageTracker) -> None:
    track_three_calls(tracker)
    tracker.reset()
    assert tracker.get_stats()["total_calls"] == 0


def test_disabled_telemetry_records_nothing(make_tracker) -> None:
    tracker = make_tracker(enabled=False)
    tracker.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1})
    assert tracker.get_stats()["total_calls"] == 0


def test_unusable_store_never_breaks_the_call_and_queries_name_the_url(
    make_tracker, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = make_tracker(store="mongodb://user:hunter2@db.example/usage")
    with caplog.at_level(logging.WARNING, logger="empathy.telemetry"):
        for _ in range(3):
            tracker.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1})
            assert tracker.empathy.flush(timeout=10)  # one batch per call: each one fails
    assert caplog.text.count("usage record(s) not stored") == 1
    assert "installed: sqlite://" in caplog.text and "hunter2" not in caplog.text
    with pytest.raises(StorageError, match=r"mongodb://.*installed: sqlite://"):
        tracker.get_stats()


def test_one_store_whatever_the_current_directory(
    make_tracker, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        tracker = make_tracker()
        tracker.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1})
        tracker.empathy.close()  # writes the pending record
    assert make_tracker().get_stats()["total_calls"] == 2
    assert (cache / "empathy.db").is_file()
    assert not any(p.suffix == ".db" for p in tmp_path.rglob("*") if cache not in p.parents)


def test_get_instance_follows_the_process_runtime(cache: Path) -> None:
    empathy = Empathy(plugins=[sqlite_plugin])
    other = Empathy(plugins=[sqlite_plugin])
    Empathy.set_current(empathy)
    try:
        first = UsageTracker.get_instance()
        assert first is UsageTracker.get_instance()
        assert first.empathy is empathy
        assert empathy.infos["telemetry"].status == "builtin"  # the core's own store writer
        first.track_llm_call("w", "s", "cheap", "claude-haiku-4-5", tokens={"input": 1})
        assert first.get_stats()["total_calls"] == 1
        # the tracker reads the very store the runtime writes to
        assert first.store is empathy.open_backend("telemetry")
        Empathy.set_current(other)
        assert UsageTracker.get_instance() is not first
        assert UsageTracker.get_instance().empathy is other
    finally:
        empathy.close()
        other.close()
        Empathy.set_current(None)


def test_workflow_calls_reach_the_store(empathy, run_workflow, usage_records) -> None:
    empathy.plugins.append(sqlite_plugin)
    result = run_workflow(Review, {"topic": "auth.py"}, user_id="bob")
    assert result.status == "success", result.error
    tracker = UsageTracker(empathy.get())
    stats = tracker.get_stats(days=1)
    assert stats["total_calls"] == 3 == len(usage_records)
    assert stats["tokens"]["input"] == result.tokens_in
    assert stats["tokens"]["output"] == result.tokens_out
    assert set(stats["by_tier"]) == {"cheap", "capable", "premium"}
    assert all(e["user_id"].startswith("sha256:") for e in tracker.get_recent_entries())
    assert os.environ["EMPATHY_CACHE_DIR"] in tracker.store.url


def test_offline_mock_runs_claim_no_savings(empathy, run_workflow) -> None:
    """Calls that cost nothing must not turn into 'savings' against the PREMIUM baseline."""
    empathy.plugins.append(sqlite_plugin)
    result = run_workflow(Review, {"topic": "auth.py"})
    assert result.status == "success", result.error
    stats = UsageTracker(empathy.get()).get_stats(days=1)
    assert stats["total_calls"] == 3
    assert stats["total_cost"] == 0
    assert stats["baseline_cost"] == 0 and stats["savings"] == 0 and stats["savings_percent"] == 0
    assert stats["cache_savings"] == 0
