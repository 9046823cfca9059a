"""The ``checkpoints`` role in SQL: one schema and one set of queries for SQLite and PostgreSQL.

Tables (component ``checkpoints``): ``checkpoint_runs`` (one row per run; times in
microseconds since the epoch, ``input`` as JSON) and ``checkpoint_stages`` (one row per
(run, stage): ``sequence`` orders them, ``data`` is the whole checkpoint as JSON). The
engine-specific store provides the dialect and ``_run(action, write=...)``, which runs
``action(connection)`` in one transaction and maps driver errors to ``StorageError``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from empathy_core import (
    RunRecord,
    StageCheckpoint,
    check_name,
    check_run_id,
    check_seconds,
    from_dict,
    to_dict,
)
from empathy_sql.schema import Dialect, Migration

T = TypeVar("T")

COMPONENT = "checkpoints"
RUN_COLUMNS = "run_id, workflow, status, input, created_us, updated_us, error, owner, lease_us, attempts"
ACTIVE = ("queued", "running")


def migrations(dialect: Dialect) -> tuple[Migration, ...]:
    """The forward migrations of the ``checkpoints`` component in ``dialect``."""
    big = dialect.integer
    return (
        (
            "CREATE TABLE checkpoint_runs (run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, "
            f"status TEXT NOT NULL, input TEXT NOT NULL, created_us {big} NOT NULL, "
            f"updated_us {big} NOT NULL, error TEXT, owner TEXT, lease_us {big}, "
            f"attempts {big} NOT NULL DEFAULT 0)",
            "CREATE INDEX checkpoint_runs_created ON checkpoint_runs (created_us)",
            "CREATE INDEX checkpoint_runs_status ON checkpoint_runs (status, created_us)",
            "CREATE TABLE checkpoint_stages (run_id TEXT NOT NULL REFERENCES checkpoint_runs (run_id) "
            f"ON DELETE CASCADE, stage TEXT NOT NULL, sequence {big} NOT NULL, data TEXT NOT NULL, "
            "PRIMARY KEY (run_id, stage))",
        ),
    )


def to_us(moment: datetime) -> int:
    """``moment`` (naive: UTC) in whole microseconds since the epoch."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1_000_000)


def from_us(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1_000_000, UTC)


def now_us() -> int:
    return to_us(datetime.now(UTC))


def _run_row(run: RunRecord) -> tuple[Any, ...]:
    lease = None if run.lease_until is None else to_us(run.lease_until)
    return (
        check_run_id(run.run_id),
        run.workflow,
        run.status,
        json.dumps(run.input, allow_nan=False),
        to_us(run.created_at),
        to_us(run.updated_at),
        run.error,
        run.owner,
        lease,
        run.attempts,
    )


def _to_run(row: Any) -> RunRecord:
    run_id, workflow, status, input_, created, updated, error, owner, lease, attempts = row
    return RunRecord(
        run_id=run_id,
        workflow=workflow,
        status=status,
        input=json.loads(input_),
        created_at=from_us(created),  # type: ignore[arg-type]
        updated_at=from_us(updated),  # type: ignore[arg-type]
        error=error,
        owner=owner,
        lease_until=from_us(lease),
        attempts=int(attempts),
    )


class SqlCheckpoints:
    """The :class:`~empathy_core.CheckpointStore` methods over ``_run`` and ``dialect``."""

    dialect: ClassVar[Dialect]
    _run: Callable[..., Any]

    @property
    def _p(self) -> str:
        return self.dialect.param

    def _select_run(self, conn: Any, run_id: str) -> RunRecord | None:
        row = conn.execute(f"SELECT {RUN_COLUMNS} FROM checkpoint_runs WHERE run_id = {self._p}", (run_id,))
        found = row.fetchone()
        return None if found is None else _to_run(found)

    def create_run(self, run: RunRecord) -> None:
        row = _run_row(run)
        marks = ", ".join([self._p] * len(row))

        def insert(conn: Any) -> None:
            if self._select_run(conn, run.run_id) is not None:
                raise ValueError(f"run {run.run_id!r} already exists")
            conn.execute(f"INSERT INTO checkpoint_runs ({RUN_COLUMNS}) VALUES ({marks})", row)

        self._run(insert, write=True)

    def get_run(self, run_id: str) -> RunRecord | None:
        run_id = check_run_id(run_id)
        found: RunRecord | None = self._run(lambda conn: self._select_run(conn, run_id))
        return found

    def list_runs(
        self, status: str | None = None, workflow: str | None = None, limit: int = 100
    ) -> list[RunRecord]:
        where, params = [], []
        if status is not None:
            where.append(f"status = {self._p}")
            params.append(status)
        if workflow is not None:
            where.append(f"workflow = {self._p}")
            params.append(workflow)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        sql = (
            f"SELECT {RUN_COLUMNS} FROM checkpoint_runs{clause} "
            f"ORDER BY created_us DESC, run_id DESC LIMIT {self._p}"
        )
        rows = self._run(lambda conn: conn.execute(sql, (*params, max(int(limit), 0))).fetchall())
        return [_to_run(row) for row in rows]

    def set_status(self, run_id: str, status: str, error: str | None = None) -> RunRecord:
        run_id, p = check_run_id(run_id), self._p
        keep = status in ACTIVE

        def update(conn: Any) -> RunRecord:
            release = "" if keep else ", owner = NULL, lease_us = NULL"
            sql = (
                f"UPDATE checkpoint_runs SET status = {p}, error = {p}, updated_us = {p}{release} "
                f"WHERE run_id = {p}"
            )
            if conn.execute(sql, (status, error, now_us(), run_id)).rowcount == 0:
                raise KeyError(f"unknown run {run_id!r}")
            found = self._select_run(conn, run_id)
            assert found is not None  # nosec B101 - updated just above, in this transaction
            return found

        result: RunRecord = self._run(update, write=True)
        return result

    def claim_run(self, run_id: str, owner: str, lease_seconds: float) -> RunRecord | None:
        run_id, owner = check_run_id(run_id), check_name(owner, "owner")
        lease_us = int(check_seconds(lease_seconds, "lease") * 1_000_000)
        p = self._p

        def claim(conn: Any) -> RunRecord | None:
            now = now_us()
            sql = (
                f"UPDATE checkpoint_runs SET owner = {p}, lease_us = {p}, status = 'running', "
                f"attempts = attempts + 1, updated_us = {p} WHERE run_id = {p} AND status <> 'success' "
                f"AND (owner IS NULL OR owner = {p} OR lease_us IS NULL OR lease_us < {p})"
            )
            if conn.execute(sql, (owner, now + lease_us, now, run_id, owner, now)).rowcount == 0:
                return None
            return self._select_run(conn, run_id)

        claimed: RunRecord | None = self._run(claim, write=True)
        return claimed

    def renew_lease(self, run_id: str, owner: str, lease_seconds: float) -> bool:
        run_id, owner = check_run_id(run_id), check_name(owner, "owner")
        lease_us = int(check_seconds(lease_seconds, "lease") * 1_000_000)
        p = self._p

        def renew(conn: Any) -> bool:
            now = now_us()
            sql = (
                f"UPDATE checkpoint_runs SET lease_us = {p}, updated_us = {p} "
                f"WHERE run_id = {p} AND owner = {p}"
            )
            return bool(conn.execute(sql, (now + lease_us, now, run_id, owner)).rowcount)

        renewed: bool = self._run(renew, write=True)
        return renewed

    def save_stage(self, checkpoint: StageCheckpoint) -> None:
        run_id, stage = check_run_id(checkpoint.run_id), check_name(checkpoint.stage, "stage")
        data = json.dumps(to_dict(checkpoint), allow_nan=False)
        p = self._p

        def upsert(conn: Any) -> None:
            touched = conn.execute(
                f"UPDATE checkpoint_runs SET updated_us = {p} WHERE run_id = {p}", (now_us(), run_id)
            )
            if touched.rowcount == 0:
                raise KeyError(f"unknown run {run_id!r}")
            conn.execute(
                f"INSERT INTO checkpoint_stages (run_id, stage, sequence, data) VALUES ({p}, {p}, {p}, {p}) "
                "ON CONFLICT (run_id, stage) DO UPDATE SET sequence = excluded.sequence, "
                "data = excluded.data",
                (run_id, stage, checkpoint.sequence, data),
            )

        self._run(upsert, write=True)

    def stages(self, run_id: str) -> list[StageCheckpoint]:
        run_id = check_run_id(run_id)
        sql = f"SELECT data FROM checkpoint_stages WHERE run_id = {self._p} ORDER BY sequence, stage"
        rows = self._run(lambda conn: conn.execute(sql, (run_id,)).fetchall())
        return [from_dict(StageCheckpoint, json.loads(data)) for (data,) in rows]

    def delete_run(self, run_id: str) -> bool:
        run_id, p = check_run_id(run_id), self._p

        def delete(conn: Any) -> bool:
            conn.execute(f"DELETE FROM checkpoint_stages WHERE run_id = {p}", (run_id,))
            return bool(conn.execute(f"DELETE FROM checkpoint_runs WHERE run_id = {p}", (run_id,)).rowcount)

        deleted: bool = self._run(delete, write=True)
        return deleted
