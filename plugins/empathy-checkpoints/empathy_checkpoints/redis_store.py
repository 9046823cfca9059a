"""Role ``checkpoints`` on Redis (``redis://``), for teams already running Redis.

Keys (under ``empathy-redis``'s ``key_prefix``): ``<prefix>:ckpt-run:<run_id>`` holds the
run as JSON, ``<prefix>:ckpt-runs`` is a sorted set of run ids by creation time, and
``<prefix>:ckpt-stages:<run_id>`` a hash of stage -> checkpoint JSON. Updates of a run
(status, claims, leases, checkpoints) are optimistic transactions (``WATCH`` on the run's
key), so a claim is a compare-and-set across processes and machines.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import attrs
import redis

from empathy_core import (
    RunRecord,
    StageCheckpoint,
    check_name,
    check_run_id,
    check_seconds,
    from_dict,
    to_dict,
    utcnow,
)
from empathy_redis.connection import RedisStore, dumps

ACTIVE = ("queued", "running")
PAGE = 500


class RedisCheckpointStore(RedisStore):
    """Runs and stage checkpoints in Redis (see the module docstring for the keys)."""

    role = "checkpoints"

    def _run_key(self, run_id: str) -> str:
        return self.key("ckpt-run", check_run_id(run_id))

    def _stages_key(self, run_id: str) -> str:
        return self.key("ckpt-stages", check_run_id(run_id))

    @staticmethod
    def _load(text: str | None) -> RunRecord | None:
        return None if text is None else from_dict(RunRecord, json.loads(text))

    def create_run(self, run: RunRecord) -> None:
        key = self._run_key(run.run_id)
        text = dumps(to_dict(run))
        score = run.created_at.timestamp()
        with self.redis() as client:
            if not client.set(key, text, nx=True):
                raise ValueError(f"run {run.run_id!r} already exists")
            client.zadd(self.key("ckpt-runs"), {run.run_id: score})

    def get_run(self, run_id: str) -> RunRecord | None:
        with self.redis() as client:
            return self._load(client.get(self._run_key(run_id)))

    def list_runs(
        self, status: str | None = None, workflow: str | None = None, limit: int = 100
    ) -> list[RunRecord]:
        found: list[RunRecord] = []
        start, limit = 0, max(int(limit), 0)
        with self.redis() as client:
            while len(found) < limit:
                ids = client.zrevrange(self.key("ckpt-runs"), start, start + PAGE - 1)
                if not ids:
                    break
                start += PAGE
                texts = client.mget([self._run_key(i) for i in ids])
                for run in (self._load(t) for t in texts if t is not None):
                    if run is not None and status in (None, run.status) and workflow in (None, run.workflow):
                        found.append(run)
        found.sort(key=lambda r: (r.created_at, r.run_id), reverse=True)
        return found[:limit]

    def _update(self, run_id: str, change: Any) -> RunRecord | None:
        """Apply ``change(run) -> RunRecord | None`` atomically; ``None`` leaves it as it was."""
        key = self._run_key(run_id)
        with self.redis() as client:
            while True:
                with client.pipeline() as pipe:
                    try:
                        pipe.watch(key)
                        run = self._load(pipe.get(key))
                        new = None if run is None else change(run)
                        if new is None:
                            pipe.unwatch()
                            return None
                        pipe.multi()
                        pipe.set(key, dumps(to_dict(new)))
                        pipe.execute()
                        return new
                    except redis.WatchError:
                        continue

    def set_status(self, run_id: str, status: str, error: str | None = None) -> RunRecord:
        def change(run: RunRecord) -> RunRecord:
            release = {} if status in ACTIVE else {"owner": None, "lease_until": None}
            return attrs.evolve(run, status=status, error=error, updated_at=utcnow(), **release)

        updated = self._update(run_id, change)
        if updated is None:
            raise KeyError(f"unknown run {run_id!r}")
        return updated

    def claim_run(self, run_id: str, owner: str, lease_seconds: float) -> RunRecord | None:
        owner = check_name(owner, "owner")
        lease = timedelta(seconds=check_seconds(lease_seconds, "lease"))

        def change(run: RunRecord) -> RunRecord | None:
            now = utcnow()
            free = run.owner is None or run.owner == owner or run.lease_until is None or run.lease_until < now
            if run.status == "success" or not free:
                return None
            claimed = {"owner": owner, "lease_until": now + lease, "status": "running"}
            return attrs.evolve(run, attempts=run.attempts + 1, updated_at=now, **claimed)

        return self._update(run_id, change)

    def renew_lease(self, run_id: str, owner: str, lease_seconds: float) -> bool:
        owner = check_name(owner, "owner")
        lease = timedelta(seconds=check_seconds(lease_seconds, "lease"))

        def change(run: RunRecord) -> RunRecord | None:
            now = utcnow()
            return attrs.evolve(run, lease_until=now + lease, updated_at=now) if run.owner == owner else None

        return self._update(run_id, change) is not None

    def save_stage(self, checkpoint: StageCheckpoint) -> None:
        key, stages = self._run_key(checkpoint.run_id), self._stages_key(checkpoint.run_id)
        stage, text = check_name(checkpoint.stage, "stage"), dumps(to_dict(checkpoint))
        with self.redis() as client:
            while True:
                with client.pipeline() as pipe:
                    try:
                        pipe.watch(key)
                        if not pipe.exists(key):
                            pipe.unwatch()
                            raise KeyError(f"unknown run {checkpoint.run_id!r}")
                        pipe.multi()
                        pipe.hset(stages, stage, text)
                        pipe.execute()
                        return
                    except redis.WatchError:
                        continue

    def stages(self, run_id: str) -> list[StageCheckpoint]:
        with self.redis() as client:
            texts = client.hvals(self._stages_key(run_id))
        found = [from_dict(StageCheckpoint, json.loads(t)) for t in texts]
        return sorted(found, key=lambda c: (c.sequence, c.stage))

    def delete_run(self, run_id: str) -> bool:
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.delete(self._run_key(run_id))
            pipe.delete(self._stages_key(run_id))
            pipe.zrem(self.key("ckpt-runs"), check_run_id(run_id))
            deleted, _, _ = pipe.execute()
        return bool(deleted)
