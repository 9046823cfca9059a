"""``empathy telemetry ...`` and ``empathy cache stats`` as users run them (subprocesses).

The records they report are written beforehand through the test's runtime (``empathy``
with the SQLite store plugin), into the default store of the cache directory that the
``empathy_cli`` subprocesses share.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import empathy_sqlite.plugin as sqlite_plugin
from empathy_core import UsageRecord, utcnow
from empathy_core.testing.store_conformance import make_record
from empathy_testing.pytest_plugin import CliResult


@pytest.fixture
def populate(empathy: Any) -> Callable[..., list[UsageRecord]]:
    """``populate(count=12)``: one record every 5 hours, stored through the runtime."""
    empathy.add(sqlite_plugin, name="sqlite", dist="empathy-sqlite")

    def write(count: int = 12) -> list[UsageRecord]:
        now = utcnow()
        records = [make_record(i, timestamp=now - timedelta(hours=5 * i)) for i in range(count)]
        for record in records:
            empathy.record_usage(record)
        assert empathy.flush(timeout=60), "usage records not stored"
        return records

    return write


def config(home: Path, store: str) -> str:
    path = home / "empathy.config.yml"
    path.write_text(f"telemetry:\n  store: {store}\n")
    return str(path)


def test_show_json_of_an_empty_store_is_zeros(
    empathy_cmd: Callable[..., CliResult], empathy_cache_dir: Path
) -> None:
    done = empathy_cmd("telemetry", "show", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["entries"] == []
    stats = data["stats"]
    assert (stats["total_calls"], stats["total_cost"], stats["cache_savings"], stats["savings"]) == (
        0,
        0,
        0,
        0,
    )
    assert data["store"] == f"sqlite:///{empathy_cache_dir / 'empathy.db'}"


def test_show_reports_the_stored_calls(
    empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]]
) -> None:
    records = populate()
    done = empathy_cmd("telemetry", "show", "--json", "--days", "30", "--limit", "3")
    stats = json.loads(done.stdout)["stats"]
    assert stats["total_calls"] == 12
    assert stats["total_cost"] == pytest.approx(sum(r.cost for r in records))
    assert len(json.loads(done.stdout)["entries"]) == 3
    table = empathy_cmd("telemetry", "show", "--days", "30")
    assert table.returncode == 0, table.stderr
    assert "Total cost" in table.stdout and "code-review" in table.stdout
    assert f"${sum(r.cost for r in records):,.4f}" in table.stdout
    narrow = empathy_cmd("telemetry", "show", "--days", "1", "--json")
    assert json.loads(narrow.stdout)["stats"]["total_calls"] == 5  # 0, 5, 10, 15, 20 hours ago


def test_export_csv_and_json(
    home: Path, empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]]
) -> None:
    populate()
    done = empathy_cmd("telemetry", "export", "--format", "csv", "-o", "usage.csv")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Exported 12 calls to usage.csv (csv)."
    with (home / "usage.csv").open(newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 12
    done = empathy_cmd("telemetry", "export", "usage.json", "--days", "1")
    assert done.returncode == 0, done.stderr
    assert len(json.loads((home / "usage.json").read_text())) == 5


def test_export_mistakes_are_one_line_errors(
    home: Path, empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]]
) -> None:
    populate()
    missing = empathy_cmd("telemetry", "export")
    assert missing.returncode == 2 and "missing output file" in missing.stderr
    bad_dir = empathy_cmd("telemetry", "export", "-o", str(home / "nowhere" / "x.csv"))
    assert bad_dir.returncode == 1
    assert bad_dir.stderr.startswith("Error: cannot write") and "Traceback" not in bad_dir.stderr
    assert not (home / "nowhere").exists()


def test_reset_needs_yes(
    empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]]
) -> None:
    populate()
    refused = empathy_cmd("telemetry", "reset")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert json.loads(empathy_cmd("telemetry", "show", "--json").stdout)["stats"]["total_calls"] > 0
    done = empathy_cmd("telemetry", "reset", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Deleted 12 recorded calls")
    assert json.loads(empathy_cmd("telemetry", "show", "--json").stdout)["stats"]["total_calls"] == 0


def test_cache_stats(
    empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]]
) -> None:
    records = populate()
    done = empathy_cmd("cache", "stats", "--json", "--days", "30")
    assert done.returncode == 0, done.stderr
    stats = json.loads(done.stdout)
    assert stats["calls"] == 12
    assert stats["hits"] == sum(r.cache_hit for r in records)
    assert stats["cache_read_tokens"] == sum(r.usage.cache_read_tokens for r in records)
    table = empathy_cmd("cache", "stats", "--days", "30", "--verbose")
    assert "Hit rate" in table.stdout and "By workflow" in table.stdout


def test_foreign_file_as_store_is_refused_untouched(
    home: Path, empathy_cmd: Callable[..., CliResult]
) -> None:
    notes = home / "notes.db"
    notes.write_text("not a database\n")
    cfg = config(home, f"sqlite:///{notes}")
    for args in (("telemetry", "show"), ("cache", "stats"), ("telemetry", "reset", "--yes")):
        done = empathy_cmd("--config", cfg, *args)
        assert done.returncode == 1
        assert done.stderr.startswith(f"Error: store sqlite:///{notes}: ")
        assert "Traceback" not in done.stderr
    assert notes.read_text() == "not a database\n"


def test_unknown_scheme_and_unreachable_postgres(home: Path, empathy_cmd: Callable[..., CliResult]) -> None:
    done = empathy_cmd("--config", config(home, "mongodb://db/usage"), "telemetry", "show")
    assert done.returncode == 1
    assert "no telemetry backend for URL scheme mongodb://" in done.stderr and "sqlite://" in done.stderr
    url = "postgresql://bob:hunter2@127.0.0.1:1/usage"
    done = empathy_cmd("--config", config(home, url), "cache", "stats")
    assert done.returncode == 1
    assert done.stderr.startswith(
        "Error: cannot connect to telemetry store postgresql://bob:***@127.0.0.1:1/usage"
    )
    assert "hunter2" not in done.stderr and "Traceback" not in done.stderr


def test_prune_defaults_to_retention_days_and_takes_days(
    empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]], empathy_cache_dir: Path
) -> None:
    records = populate(count=12)  # one every 5 hours: the oldest is 55 hours old
    store = f"sqlite:///{empathy_cache_dir / 'empathy.db'}"
    done = empathy_cmd("telemetry", "prune")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"Removed 0 recorded calls older than 30 days from {store}.\n"
    done = empathy_cmd("telemetry", "prune", "--days", "2")
    assert done.returncode == 0, done.stderr
    old = sum(r.timestamp < utcnow() - timedelta(days=2) for r in records)
    assert (
        done.stdout
        == f"Removed {old} recorded call{'s' if old != 1 else ''} older than 2 days from {store}.\n"
    )
    shown = json.loads(empathy_cmd("telemetry", "show", "--json", "--limit", "50").stdout)
    assert len(shown["entries"]) == len(records) - old


def test_prune_mistakes_are_one_line_errors(
    home: Path, empathy_cmd: Callable[..., CliResult], populate: Callable[..., list[UsageRecord]]
) -> None:
    populate(count=3)
    done = empathy_cmd("telemetry", "prune", "--days", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "--days" in done.stderr
    (home / "empathy.config.yml").write_text("telemetry:\n  retention_days: 0\n")
    done = empathy_cmd("telemetry", "prune")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: telemetry.retention_days is 0: records are kept forever")
    assert json.loads(empathy_cmd("telemetry", "show", "--json").stdout)["stats"]["total_calls"] == 3
