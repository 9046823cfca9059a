"""The conformance suite every ``checkpoints`` store must pass.

Subclass :class:`CheckpointStoreConformance` and provide a ``store_factory`` fixture: a
callable ``factory()`` that opens a *new* store instance on one shared, initially empty
location (several instances stand for several processes)::

    import pytest
    from empathy_core.testing.checkpoint_conformance import CheckpointStoreConformance

    class TestMyCheckpoints(CheckpointStoreConformance):
        @pytest.fixture
        def store_factory(self, tmp_path):
            yield lambda: MyCheckpointStore(f"my:///{tmp_path}/db")

Stores opened through :meth:`open` are closed by the suite. Leases are tested with
short lease times and real sleeps of well under a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from empathy_core.checkpoints import CheckpointStore, RunRecord, StageCheckpoint
from empathy_core.records import utcnow
from empathy_core.testing.coordination_conformance import in_threads


class CheckpointStoreConformance:
    """Role ``checkpoints``."""

    @pytest.fixture(autouse=True)
    def _opened(self, store_factory: Callable[[], Any]) -> Iterator[None]:
        self._factory = store_factory
        self._stores: list[Any] = []
        yield
        for store in self._stores:
            store.close()

    def open(self) -> Any:
        """A new store instance on the shared location."""
        store = self._factory()
        self._stores.append(store)
        return store

    def run(self, store: Any, run_id: str = "run-1", **fields: Any) -> RunRecord:
        record = RunRecord(run_id, fields.pop("workflow", "three-tier"), **fields)
        store.create_run(record)
        return record

    def checkpoint(self, run_id: str, stage: str, sequence: int, **fields: Any) -> StageCheckpoint:
        output = fields.pop("output", {f"{stage}_text": "ok"})
        return StageCheckpoint(run_id, stage, output, "cheap", sequence=sequence, **fields)

    def test_satisfies_the_protocol(self) -> None:
        assert isinstance(self.open(), CheckpointStore)

    def test_a_run_is_read_back_by_another_instance(self) -> None:
        made = self.run(self.open(), input={"topic": "x", "n": [1, 2.5, None, True]})
        assert self.open().get_run("run-1") == made
        assert self.open().get_run("missing") is None

    def test_a_run_id_is_created_once(self) -> None:
        store = self.open()
        self.run(store)
        with pytest.raises(ValueError, match="run-1"):
            self.run(self.open(), workflow="other")
        assert store.get_run("run-1").workflow == "three-tier"  # type: ignore[union-attr]

    def test_list_is_newest_first_and_filtered(self) -> None:
        store = self.open()
        start = utcnow() - timedelta(minutes=10)
        for n, status in enumerate(["success", "failed", "running", "failed"]):
            created = start + timedelta(minutes=n)
            self.run(store, f"run-{n}", status=status, created_at=created, workflow="a" if n % 2 else "b")
        assert [r.run_id for r in self.open().list_runs()] == ["run-3", "run-2", "run-1", "run-0"]
        assert [r.run_id for r in store.list_runs(status="failed")] == ["run-3", "run-1"]
        assert [r.run_id for r in store.list_runs(workflow="b")] == ["run-2", "run-0"]
        assert [r.run_id for r in store.list_runs(limit=1)] == ["run-3"]

    def test_checkpoints_come_back_in_order_and_replace_per_stage(self) -> None:
        store = self.open()
        self.run(store)
        first = self.checkpoint(
            "run-1", "scan", 0, tokens_in=10, tokens_out=5, cost=0.25, calls=1, model="claude-haiku",
            duration_ms=12.5, output_type="pkg.mod:Out",
        )
        second = self.checkpoint("run-1", "analyse", 1, output=["a", {"b": None}])
        store.save_stage(second)
        store.save_stage(first)
        assert self.open().stages("run-1") == [first, second]
        again = self.checkpoint("run-1", "analyse", 1, output="second")
        store.save_stage(again)
        assert self.open().stages("run-1") == [first, again]
        assert store.stages("unknown") == []

    def test_outputs_of_any_json_kind_round_trip(self) -> None:
        store = self.open()
        self.run(store)
        outputs = ["text", 3, 2.5, None, True, [1, [2]], {"nested": {"deep": ["x"]}}, "ünïcødé ✓"]
        for n, output in enumerate(outputs):
            store.save_stage(self.checkpoint("run-1", f"stage-{n}", n, output=output))
        assert [c.output for c in self.open().stages("run-1")] == outputs

    def test_a_checkpoint_for_an_unknown_run_is_refused(self) -> None:
        with pytest.raises(KeyError):
            self.open().save_stage(self.checkpoint("missing", "scan", 0))

    def test_status_changes_and_releases_the_owner(self) -> None:
        store = self.open()
        self.run(store, status="queued")
        assert store.claim_run("run-1", "worker-a", 60) is not None
        done = store.set_status("run-1", "failed", error="stage 'scan' failed: boom")
        assert (done.status, done.error, done.owner) == ("failed", "stage 'scan' failed: boom", None)
        assert done.lease_until is None
        assert self.open().get_run("run-1") == done
        with pytest.raises(KeyError):
            store.set_status("missing", "failed")

    def test_claims_lease_and_expiry(self) -> None:
        store = self.open()
        self.run(store, status="queued")
        claimed = store.claim_run("run-1", "worker-a", 0.3)
        assert claimed is not None
        assert (claimed.status, claimed.owner, claimed.attempts) == ("running", "worker-a", 1)
        assert claimed.lease_until is not None and claimed.lease_until > utcnow()
        assert self.open().claim_run("run-1", "worker-b", 60) is None
        assert store.claim_run("run-1", "worker-a", 0.3) is not None  # the owner may claim again
        assert store.renew_lease("run-1", "worker-a", 0.3) is True
        assert store.renew_lease("run-1", "worker-b", 0.3) is False
        time.sleep(0.5)
        taken = self.open().claim_run("run-1", "worker-b", 60)
        assert taken is not None and (taken.owner, taken.attempts) == ("worker-b", 3)
        assert store.renew_lease("run-1", "worker-a", 60) is False

    def test_a_finished_or_unknown_run_cannot_be_claimed(self) -> None:
        store = self.open()
        self.run(store, status="success")
        assert store.claim_run("run-1", "worker-a", 60) is None
        assert store.claim_run("missing", "worker-a", 60) is None

    def test_one_of_many_concurrent_claims_wins(self) -> None:
        self.run(self.open(), status="queued")
        stores = [self.open() for _ in range(6)]
        won: list[str] = []
        barrier = threading.Barrier(len(stores))

        def claim(index: int) -> None:
            barrier.wait(10)
            if stores[index].claim_run("run-1", f"worker-{index}", 60) is not None:
                won.append(f"worker-{index}")

        in_threads(claim, len(stores))
        assert len(won) == 1
        assert self.open().get_run("run-1").owner == won[0]  # type: ignore[union-attr]

    def test_concurrent_writers_lose_nothing(self) -> None:
        stores = [self.open() for _ in range(4)]
        for index in range(4):
            self.run(stores[0], f"run-{index}")

        def write(index: int) -> None:
            for n in range(20):
                stores[index].save_stage(self.checkpoint(f"run-{index}", f"stage-{n}", n))

        in_threads(write, len(stores))
        reader = self.open()
        assert [len(reader.stages(f"run-{index}")) for index in range(4)] == [20, 20, 20, 20]

    def test_delete(self) -> None:
        store = self.open()
        self.run(store)
        store.save_stage(self.checkpoint("run-1", "scan", 0))
        assert store.delete_run("run-1") is True
        assert store.delete_run("run-1") is False
        assert store.get_run("run-1") is None and store.stages("run-1") == []
