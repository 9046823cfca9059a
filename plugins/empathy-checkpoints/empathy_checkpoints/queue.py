"""Queued runs and the workers that run them.

``submit`` writes a :class:`~empathy_core.RunRecord` with status ``queued`` to the checkpoint
store (the source of truth) and publishes a ``run_queued`` event on the ``events`` store
(Redis Streams or SQLite) to wake a worker. A worker reads the events as consumer of the
group ``empathy-workers`` (each event goes to one worker) and, when no event comes, scans
the store for queued runs and for runs whose worker's lease has expired. It runs a run
only after :meth:`~empathy_core.CheckpointStore.claim_run` made it the owner, renews the
lease (its heartbeat) every third of ``lease`` seconds, and resumes from the run's
checkpoints, so a run left by a dead worker is finished by another without calling its
finished stages again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from typing import TYPE_CHECKING, Any

import attrs

from empathy_checkpoints.durable import find_run, open_store, resume_run, settings, to_json
from empathy_core import EmpathyError, RunRecord, check_name, new_run_id, utcnow

if TYPE_CHECKING:
    from empathy_core import CheckpointStore, Empathy, WorkflowResult

log = logging.getLogger("empathy.checkpoints")

GROUP = "empathy-workers"
EVENT = "run_queued"
POLL_MS = 1000


def submit(empathy: Empathy, workflow: str, input_data: dict[str, Any]) -> RunRecord:
    """Queue a run of ``workflow`` (which must be installed); returns its record."""
    empathy.workflow(workflow)
    data, _ = to_json(input_data, "the run input")
    run = RunRecord(new_run_id(), workflow, "queued", data)
    open_store(empathy).create_run(run)
    try:
        empathy.open_backend("events").publish_event(EVENT, {"run_id": run.run_id}, utcnow())
    except EmpathyError as exc:  # the run is queued all the same: workers scan the store
        log.warning("run %s queued, but no worker was woken: %s", run.run_id, exc)
    return run


def worker_name() -> str:
    """``<host>-<pid>-<random>``, safe for :func:`~empathy_core.check_name`."""
    host = "".join(c if c.isalnum() or c in "_.-" else "-" for c in socket.gethostname())[:60] or "host"
    return check_name(f"{host.lstrip('.-') or 'host'}-{os.getpid()}-{uuid.uuid4().hex[:6]}", "worker")


@attrs.define
class Worker:
    """Runs queued runs, ``concurrency`` at a time, until ``max_runs`` finished or ``idle_exit``
    seconds passed with nothing to do (``None``: forever)."""

    empathy: Empathy
    concurrency: int = 1
    max_runs: int | None = None
    idle_exit: float | None = None
    name: str = attrs.Factory(worker_name)
    finished: list[WorkflowResult] = attrs.Factory(list)
    _running: dict[str, asyncio.Task[Any]] = attrs.Factory(dict)

    @property
    def lease(self) -> float:
        return settings(self.empathy).lease

    async def serve(self) -> list[WorkflowResult]:
        store = await asyncio.to_thread(open_store, self.empathy)
        events = await asyncio.to_thread(self.empathy.open_backend, "events")
        idle_since = asyncio.get_running_loop().time()
        try:
            while not self._done():
                free = self.concurrency - len(self._running)
                started = 0
                if free > 0:
                    for run_id in await self._candidates(store, events, free):
                        started += await self._start(store, run_id)
                now = asyncio.get_running_loop().time()
                if started or self._running:
                    idle_since = now
                elif self.idle_exit is not None and now - idle_since >= self.idle_exit:
                    break
                if self._running and (free <= 0 or not started):
                    running = list(self._running.values())
                    await asyncio.wait(running, timeout=POLL_MS / 1000, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in self._running.values():
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*self._running.values(), return_exceptions=True)
        return self.finished

    def _done(self) -> bool:
        return self.max_runs is not None and len(self.finished) >= self.max_runs

    async def _candidates(self, store: CheckpointStore, events: Any, count: int) -> list[str]:
        """Run ids to try: woken by events first, else queued and abandoned runs in the store."""
        block = 0 if self._running else POLL_MS
        try:
            found = await asyncio.to_thread(
                events.read_group, GROUP, self.name, [EVENT], block, count, int(self.lease * 1000)
            )
        except EmpathyError as exc:
            log.warning("worker %s: events unavailable (%s); scanning the checkpoint store", self.name, exc)
            found = []
        if found:
            await asyncio.to_thread(events.ack_events, GROUP, [e.event_id for e in found])
            ids = [str(e.data.get("run_id")) for e in found]
            return [i for i in ids if i not in self._running]
        return await asyncio.to_thread(self._scan, store, count)

    def _scan(self, store: CheckpointStore, count: int) -> list[str]:
        now = utcnow()
        queued = store.list_runs(status="queued", limit=100)
        running = store.list_runs(status="running", limit=100)
        abandoned = [r for r in running if r.owner and r.lease_until is not None and r.lease_until < now]
        ids = [r.run_id for r in reversed(queued)] + [r.run_id for r in abandoned]
        return [i for i in ids if i not in self._running][: count * 4]

    async def _start(self, store: CheckpointStore, run_id: str) -> int:
        try:
            claimed = await asyncio.to_thread(store.claim_run, run_id, self.name, self.lease)
        except (EmpathyError, ValueError) as exc:
            log.warning("worker %s: cannot claim run %r: %s", self.name, run_id, exc)
            return 0
        if claimed is None:
            return 0
        self._running[run_id] = asyncio.create_task(self._run(store, claimed))
        return 1

    async def _run(self, store: CheckpointStore, run: RunRecord) -> None:
        task = asyncio.current_task()
        assert task is not None  # nosec B101 - running in a task
        beat = asyncio.create_task(self._heartbeat(store, run.run_id, task))
        try:
            result = await resume_run(self.empathy, run.run_id, owner=self.name)
            self.finished.append(result)
            log.info("worker %s: run %s %s", self.name, run.run_id, result.status)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("worker %s: run %s: %s", self.name, run.run_id, exc)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(store.set_status, run.run_id, "failed", str(exc)[:2000])
        finally:
            beat.cancel()
            self._running.pop(run.run_id, None)

    async def _heartbeat(self, store: CheckpointStore, run_id: str, task: asyncio.Task[Any]) -> None:
        """Renew the lease every third of it; a lost lease (another worker took the run) stops it."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                kept = await asyncio.to_thread(store.renew_lease, run_id, self.name, self.lease)
            except EmpathyError as exc:
                log.warning("worker %s: lease of run %s not renewed: %s", self.name, run_id, exc)
                continue
            if not kept:
                log.warning("worker %s: run %s was claimed by another worker; stopping it", self.name, run_id)
                task.cancel()
                return


__all__ = ["GROUP", "Worker", "find_run", "submit"]
