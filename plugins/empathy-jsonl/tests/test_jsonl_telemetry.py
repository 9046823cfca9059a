"""The JSONL sink and the scan-based jsonl:// store."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import empathy_jsonl.plugin as jsonl_plugin
from empathy_core.config import EmpathyConfig, PluginsConfig, TelemetryConfig
from empathy_core.errors import StorageError
from empathy_core.plugins import make_plugin_manager
from empathy_core.testing.store_conformance import NOW, TelemetryStoreConformance, make_record
from empathy_jsonl.files import JsonlFiles
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


def make_pm(tmp_path: Path, **settings: object):
    config = EmpathyConfig(
        telemetry=TelemetryConfig(store=f"sqlite:///{tmp_path / 'unused.db'}"),
        plugins=PluginsConfig(settings={"empathy_jsonl.plugin": settings}),
    )
    return make_plugin_manager([jsonl_plugin], config=config)


def test_sink_appends_every_record_with_privacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPATHY_CACHE_DIR", str(tmp_path / "cache"))
    pm = make_pm(tmp_path)
    record = make_record(1, user_id="carol", prompt="the code")
    pm.hook.empathy_record_usage(record=record)
    [path] = (tmp_path / "cache" / "telemetry-jsonl").iterdir()
    [line] = path.read_text().splitlines()
    data = json.loads(line)
    assert data["record_id"] == record.record_id
    assert data["user_id"].startswith("sha256:") and data["prompt"] is None


def test_sink_settings_directory_and_disable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMPATHY_CACHE_DIR", str(tmp_path / "cache"))
    pm = make_pm(tmp_path, directory=str(tmp_path / "logs"))
    pm.hook.empathy_record_usage(record=make_record(1))
    assert len(list((tmp_path / "logs").iterdir())) == 1
    pm = make_pm(tmp_path, directory=str(tmp_path / "off"), enabled=False)
    pm.hook.empathy_record_usage(record=make_record(2))
    assert not (tmp_path / "off").exists()


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
