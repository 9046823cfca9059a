"""Several processes writing one SQLite telemetry store at once; a writer killed mid-run.

Writers are separate Python processes (``subprocess``), as in real use: each opens the
store itself and writes deterministic records, printing its committed count after every
transaction.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from empathy_core import group_records
from empathy_core.testing.store_conformance import assert_same_groups, make_record
from empathy_sqlite.telemetry_store import SQLiteTelemetryStore

WRITER = textwrap.dedent(
    """
    import sys
    from empathy_core.testing.store_conformance import assert_same_groups, make_record
    from empathy_sqlite.telemetry_store import SQLiteTelemetryStore

    url, writer, count, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    store = SQLiteTelemetryStore(url)
    done = 0
    while count == 0 or done < count:
        size = batch if count == 0 else min(batch, count - done)
        records = [make_record(i, record_id=f"w{writer}-{i}") for i in range(done, done + size)]
        if size == 1:
            store.write(records[0])
        else:
            store.write_many(records)
        done += size
        print(done, flush=True)
    store.close()
    """
)


def start_writer(url: str, writer: int, count: int, batch: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, url, str(writer), str(count), str(batch)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def expected_records(writer: int, count: int) -> list:
    return [make_record(i, record_id=f"w{writer}-{i}") for i in range(count)]


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_eight_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    # half the writers commit one record per transaction, half in batches of 100
    writers = [start_writer(url, n, 5000, 1 if n % 2 else 100) for n in range(8)]
    for proc in writers:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        assert out.split()[-1] == "5000"
    expected = [r for n in range(8) for r in expected_records(n, 5000)]
    store = SQLiteTelemetryStore(url)
    try:
        assert store.count() == 40_000
        groups = store.stats()
        assert sum(g.calls for g in groups) == 40_000
        assert sum(g.cost_nano for g in groups) == sum(g.cost_nano for g in group_records(expected))
        assert_same_groups(groups, group_records(expected))
    finally:
        store.close()
    assert integrity(path) == "ok"


def test_writer_killed_mid_run_keeps_every_committed_row(tmp_path: Path) -> None:
    path = tmp_path / "killed.db"
    url = f"sqlite:///{path}"
    SQLiteTelemetryStore(url).close()
    proc = start_writer(url, 0, 0, 50)  # writes until killed
    assert proc.stdout is not None
    committed = 0
    for line in proc.stdout:
        committed = int(line)
        if committed >= 3000:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert integrity(path) == "ok"
    store = SQLiteTelemetryStore(url)
    try:
        stored = store.count()
        assert stored >= committed
        assert stored % 50 == 0  # whole transactions only
        ids = {r.record_id for r in store.iter_records()}
        assert {f"w0-{i}" for i in range(committed)} <= ids
        expected = expected_records(0, stored)
        assert sum(g.cost_nano for g in store.stats()) == sum(g.cost_nano for g in group_records(expected))
        assert sum(g.calls for g in store.stats()) == stored  # the rollup agrees with the rows
    finally:
        store.close()
