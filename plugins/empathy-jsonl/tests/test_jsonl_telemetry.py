"""The JSONL sink and the scan-based jsonl:// store."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import empathy_jsonl.plugin as jsonl_plugin
from empathy_core import ConfigError, Empathy, EmpathyConfig, PluginsConfig, StorageError, TelemetryConfig
from empathy_core.testing.store_conformance import NOW, TelemetryStoreConformance, make_record
from empathy_jsonl.files import JsonlFiles
from empathy_jsonl.settings import JsonlSettings
from empathy_jsonl.store import JsonlTelemetryStore


class TestJsonlConformance(TelemetryStoreConformance):
    @pytest.fixture
    def store_factory(self, tmp_path: Path) -> Iterator[Callable[[], JsonlTelemetryStore]]:
        yield lambda: JsonlTelemetryStore(f"jsonl:///{tmp_path / 'usage'}")


def test_one_file_per_utc_day_and_rotation_by_size(tmp_path: Path) -> None:
    files = JsonlFiles(tmp_path, max_bytes=4096)
    records = [make_record(i, timestamp=NOW - timedelta(days=i % 3, seconds=i)) for i in range(60)]
    assert sum(files.append([r]) for r in records) == 60  # the sink appends one at a time
    names = sorted(p.name for p in tmp_path.iterdir())
    days = {(NOW - timedelta(days=d)).date().isoformat() for d in range(3)}
    assert {n.split(".")[0].removeprefix("usage-") for n in names} == days
    assert any(n.count(".") == 2 for n in names)  # usage-<day>.1.jsonl exists
    assert all(p.stat().st_size <= 4096 for p in tmp_path.iterdir())
    read = [r.record_id for _, _, path in files.files() for r in files.read(path)]
    assert sorted(read) == sorted(r.record_id for r in records)


def test_torn_last_line_is_skipped(tmp_path: Path) -> None:
    store = JsonlTelemetryStore(f"jsonl:///{tmp_path}")
    store.write_many(make_record(i) for i in range(3))
    [(_, _, path)] = store.files.files(NOW.date())
    with path.open("ab") as handle:
        handle.write(b'{"workflow": "half-writ')
    assert len(store.recent(10, NOW - timedelta(hours=1))) == 1


def test_bad_urls(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StorageError, match="is a file"):
        JsonlTelemetryStore(f"jsonl:///{tmp_path / 'file'}")
    with pytest.raises(StorageError, match="invalid JSONL URL"):
        JsonlTelemetryStore("jsonl://")


def jsonl_config(tmp_path: Path, key: str = "empathy-jsonl", **settings: object) -> EmpathyConfig:
    """Settings for the sink under ``key``; the core's store is a ``jsonl://`` directory too."""
    return EmpathyConfig(
        telemetry=TelemetryConfig(store=f"jsonl:///{tmp_path / 'store'}"),
        plugins=PluginsConfig(settings={key: settings}),
    )


def make_runtime(config: EmpathyConfig) -> Empathy:
    """A runtime with the plugin registered as the entry-point loader would."""
    empathy = Empathy(config)
    empathy.add_plugin(jsonl_plugin, "jsonl", dist="empathy-jsonl")
    return empathy.configure()


def lines_in(directory: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line) for path in sorted(directory.iterdir()) for line in path.read_text().splitlines()
    ]


def test_sink_appends_every_record_with_privacy(
    empathy: Any, empathy_cache_dir: Path, tmp_path: Path
) -> None:
    empathy.config = jsonl_config(tmp_path)
    runtime = empathy.add(jsonl_plugin, name="jsonl", dist="empathy-jsonl")
    record = make_record(1, user_id="carol", prompt="the code")
    runtime.record_usage(record)
    assert runtime.flush(timeout=30)
    [path] = (empathy_cache_dir / "telemetry-jsonl").iterdir()
    [line] = path.read_text().splitlines()
    data = json.loads(line)
    assert data["record_id"] == record.record_id
    assert data["user_id"].startswith("sha256:") and data["prompt"] is None
    # the sink applies the rules itself too, for a record that did not come through the runtime
    raw = make_record(2, user_id="dave", prompt="more code")
    runtime.plugin_manager.hook.empathy_record_usage(empathy=runtime, record=raw)
    data = lines_in(empathy_cache_dir / "telemetry-jsonl")[-1]
    assert data["record_id"] == raw.record_id
    assert data["user_id"].startswith("sha256:") and data["prompt"] is None
    # and the core wrote the runtime's record to its own store, the jsonl:// directory
    assert [r.record_id for r in runtime.open_backend("telemetry").iter_records()] == [record.record_id]


def test_sink_settings_directory_and_disable(tmp_path: Path, empathy_cache_dir: Path) -> None:
    runtime = make_runtime(jsonl_config(tmp_path, directory=str(tmp_path / "logs")))
    runtime.record_usage(make_record(1))
    runtime.close()
    assert len(list((tmp_path / "logs").iterdir())) == 1
    runtime = make_runtime(jsonl_config(tmp_path, directory=str(tmp_path / "off"), enabled=False))
    runtime.record_usage(make_record(2))
    runtime.close()
    assert not (tmp_path / "off").exists()
    config = jsonl_config(tmp_path, directory=str(tmp_path / "no-telemetry"))
    config.telemetry.enabled = False
    runtime = make_runtime(config)
    runtime.record_usage(make_record(3))
    runtime.close()
    assert not (tmp_path / "no-telemetry").exists()


def test_settings_are_found_under_the_plugin_name_and_validated(
    tmp_path: Path, empathy_cache_dir: Path
) -> None:
    runtime = make_runtime(jsonl_config(tmp_path, key="jsonl", directory="~/x", max_bytes=4096))
    assert runtime.settings(JsonlSettings) == JsonlSettings(directory="~/x", max_bytes=4096)
    assert runtime.settings("empathy-jsonl") is runtime.settings(JsonlSettings)
    assert jsonl_plugin.sink(runtime).files.max_bytes == 4096
    runtime.close()
    runtime = make_runtime(jsonl_config(tmp_path, max_bytes=10))
    with pytest.raises(ConfigError, match=r"plugins\.settings\.empathy-jsonl.*max_bytes"):
        runtime.validate_settings()
    runtime.close()


def test_each_runtime_has_its_own_sink_and_unconfigure_drops_it(
    tmp_path: Path, empathy_cache_dir: Path
) -> None:
    one = make_runtime(jsonl_config(tmp_path, directory=str(tmp_path / "one")))
    two = make_runtime(jsonl_config(tmp_path, directory=str(tmp_path / "two")))
    first = jsonl_plugin.sink(one)
    assert jsonl_plugin.sink(one) is first and jsonl_plugin.sink(two) is not first
    one.record_usage(make_record(1))
    two.record_usage(make_record(2))
    two.record_usage(make_record(3))
    assert one.flush(timeout=30) and two.flush(timeout=30)
    assert [d["record_id"] for d in lines_in(tmp_path / "one")] == [make_record(1).record_id]
    assert [d["record_id"] for d in lines_in(tmp_path / "two")] == [make_record(i).record_id for i in (2, 3)]
    one.close()
    assert jsonl_plugin.sink(one) is not first  # built again, from the settings, if used again
    two.close()


def test_a_failed_append_is_logged_once_and_the_sink_keeps_working(
    tmp_path: Path, empathy_cache_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the directory should be")
    runtime = make_runtime(jsonl_config(tmp_path, directory=str(blocked)))
    with caplog.at_level(logging.WARNING, logger="empathy.telemetry.jsonl"):
        for i in range(3):
            runtime.record_usage(make_record(i))
        assert runtime.flush(timeout=30)
    warnings = [r for r in caplog.records if r.name == "empathy.telemetry.jsonl"]
    assert len(warnings) == 1
    expected = f"jsonl telemetry: record not written: cannot append telemetry to {blocked}: "
    assert warnings[0].getMessage().startswith(expected)
    assert runtime.infos["jsonl"].status == "loaded"  # not disabled: the next record is tried
    blocked.unlink()
    runtime.record_usage(make_record(7))
    assert runtime.flush(timeout=30)
    assert [d["record_id"] for d in lines_in(blocked)] == [make_record(7).record_id]
    runtime.close()


def test_entry_point_module_imports_neither_the_sink_nor_the_store() -> None:
    heavy = ("empathy_jsonl.sink", "empathy_jsonl.store", "empathy_jsonl.files", "empathy_sql")
    script = f"import sys, empathy_jsonl.plugin; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr


def test_since_in_another_time_zone_reads_the_utc_day_files(tmp_path: Path) -> None:
    store = JsonlTelemetryStore(f"jsonl:///{tmp_path}")
    evening = datetime(2026, 11, 20, 21, 30, tzinfo=UTC)
    records = [make_record(i, timestamp=evening + timedelta(minutes=i)) for i in range(5)]
    store.write_many(records)
    since = (evening - timedelta(minutes=30)).astimezone(timezone(timedelta(hours=5)))  # 02:00 on the 21st
    assert since.date() != evening.date()
    assert {r.record_id for r in store.recent(10, since)} == {r.record_id for r in records}
    assert sum(g.calls for g in store.stats(since)) == 5
    naive = (evening + timedelta(minutes=2)).replace(tzinfo=None)  # naive means UTC
    assert [r.record_id for r in store.iter_records(naive)] == [r.record_id for r in records[2:]]


def test_concurrent_processes_append_whole_lines(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from empathy_core.testing.store_conformance import make_record
        from empathy_jsonl.files import JsonlFiles
        files = JsonlFiles(Path(sys.argv[1]), max_bytes=64 * 1024)
        for i in range(400):
            files.append([make_record(i, record_id=f"{sys.argv[2]}-{i}")])
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read() if proc.stderr else ""
    store = JsonlTelemetryStore(f"jsonl:///{tmp_path}")
    assert store.count() == 1600


def test_prune_deletes_old_day_files_and_rewrites_only_the_cutoff_day(tmp_path: Path) -> None:
    store = JsonlTelemetryStore(f"jsonl:///{tmp_path}")
    day = datetime.fromisoformat(f"{NOW.date().isoformat()}T00:00:00+00:00")
    records = [make_record(i, timestamp=day - timedelta(days=i % 5, hours=i % 24)) for i in range(100)]
    store.write_many(records)
    before = day - timedelta(days=2) + timedelta(hours=12)
    later = [p for p in tmp_path.iterdir() if p.name > f"usage-{before.date()}.jsonl"]
    untouched = [(p.name, p.stat().st_ino, p.read_bytes()) for p in sorted(later)]
    assert store.prune(before) == sum(r.timestamp < before for r in records)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"usage-{before.date()}.jsonl", *(name for name, _, _ in untouched)]  # no temp file
    assert [(p.name, p.stat().st_ino, p.read_bytes()) for p in sorted(later)] == untouched
    kept = {r.record_id for r in records if r.timestamp >= before}
    assert {r.record_id for r in store.files.read(tmp_path / names[0])} == {
        r.record_id for r in records if r.timestamp.date() == before.date() and r.timestamp >= before
    }
    assert {r.record_id for r in store.iter_records()} == kept
