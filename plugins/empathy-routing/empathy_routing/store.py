"""The routing store: each stage's recent calls, quality feedback and budget reservations.

One SQL schema on SQLite (``sqlite:///path``, default ``<cache dir>/routing.db``, opened
through :mod:`empathy_sqlite.database`: WAL, foreign files refused, versioned) or
PostgreSQL (``postgresql://...`` through :mod:`empathy_postgres.database`). Every query a
routing decision makes is an indexed ``LIMIT`` read. Writes that must not interleave
across processes (budget reservations) run in one write transaction: ``BEGIN IMMEDIATE``
on SQLite, a transaction-scoped advisory lock on PostgreSQL.

``routing_calls`` is a narrow copy of the usage records (fed by the plugin's
``empathy_record_usage`` sink) indexed by (workflow, stage): the telemetry store's
contract aggregates but cannot answer "the last 20 calls of this stage".
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import attrs

from empathy_core import StorageError, UsageRecord, redact_url, to_nano, utcnow

COMPONENT = "routing"

_MIGRATIONS_SQL = (
    (
        "CREATE TABLE routing_calls (id {row_id}, workflow TEXT NOT NULL, stage TEXT NOT NULL, "
        "tier TEXT NOT NULL, model TEXT NOT NULL, success {integer} NOT NULL, cost_nano {integer} NOT NULL, "
        "duration_ms {real} NOT NULL, ts_us {integer} NOT NULL)",
        "CREATE INDEX routing_calls_stage ON routing_calls (workflow, stage, id)",
        "CREATE INDEX routing_calls_ts ON routing_calls (ts_us)",
        "CREATE TABLE routing_feedback (id {row_id}, workflow TEXT NOT NULL, stage TEXT NOT NULL, "
        "tier TEXT NOT NULL, quality {real} NOT NULL, metadata TEXT NOT NULL, ts_us {integer} NOT NULL)",
        "CREATE INDEX routing_feedback_key ON routing_feedback (workflow, stage, tier, id)",
        "CREATE TABLE routing_budget (id TEXT PRIMARY KEY, day TEXT NOT NULL, workflow TEXT NOT NULL, "
        "run_id TEXT NOT NULL, model TEXT NOT NULL, amount_nano {integer} NOT NULL, "
        "settled {integer} NOT NULL, ts_us {integer} NOT NULL)",
        "CREATE INDEX routing_budget_day ON routing_budget (day, workflow)",
        "CREATE INDEX routing_budget_run ON routing_budget (run_id)",
    ),
)


@attrs.frozen
class CallOutcome:
    """One recorded call of a stage."""

    tier: str
    model: str
    success: bool
    cost: float
    duration_ms: float


@attrs.frozen
class Spend:
    """USD reserved or spent (settled) so far: today in total, today by the workflow, by the run."""

    day: float = 0.0
    workflow_day: float = 0.0
    run: float = 0.0


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class RoutingStore:
    """The store on one connection, shared by the threads of a process under a lock."""

    def __init__(self, conn: Any, url: str, *, postgres: bool) -> None:
        self._conn = conn
        self._postgres = postgres
        self._db_errors: tuple[type[Exception], ...] = (sqlite3.Error,)
        if postgres:
            import psycopg

            self._db_errors = (psycopg.Error,)
        self._lock = threading.RLock()
        self.url = redact_url(url)

    def __repr__(self) -> str:
        return f"RoutingStore({self.url!r})"

    # -- plumbing --------------------------------------------------------------------

    def _sql(self, text: str) -> str:
        return text.replace("?", "%s") if self._postgres else text

    def _rows(self, text: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._errors():
            return list(self._conn.execute(self._sql(text), params).fetchall())

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except self._db_errors as exc:  # one message naming the store
            raise StorageError(f"routing store {self.url}: {' '.join(str(exc).split())}") from None

    @contextlib.contextmanager
    def _write(self, *, exclusive: bool = False) -> Iterator[Callable[..., Any]]:
        """One write transaction; ``exclusive``: serialised with every other process's."""
        with self._lock, self._errors():
            if self._postgres:
                with self._conn.transaction():
                    if exclusive:
                        self._conn.execute("SELECT pg_advisory_xact_lock(hashtext('empathy-routing'))")
                    yield lambda text, params=(): self._conn.execute(self._sql(text), params)
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield lambda text, params=(): self._conn.execute(text, params)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock, contextlib.suppress(Exception):
            self._conn.close()

    # -- calls -----------------------------------------------------------------------

    def add_calls(self, records: Iterable[UsageRecord]) -> int:
        """Keep the workflow calls among ``records``; returns how many."""
        rows = [
            (
                r.workflow,
                r.stage,
                r.tier,
                r.model,
                int(r.success),
                to_nano(r.cost),
                r.duration_ms,
                _us(r.timestamp),
            )
            for r in records
            if r.workflow and r.stage
        ]
        if rows:
            with self._write() as run:
                for row in rows:
                    run(
                        "INSERT INTO routing_calls (workflow, stage, tier, model, success, cost_nano, "
                        "duration_ms, ts_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        row,
                    )
        return len(rows)

    def recent_calls(self, workflow: str, stage: str, limit: int) -> list[CallOutcome]:
        """The ``limit`` newest calls of ``workflow``/``stage``, newest first."""
        rows = self._rows(
            "SELECT tier, model, success, cost_nano, duration_ms FROM routing_calls "
            "WHERE workflow = ? AND stage = ? ORDER BY id DESC LIMIT ?",
            (workflow, stage, limit),
        )
        return [CallOutcome(t, m, bool(s), c / 1e9, d) for t, m, s, c, d in rows]

    def stages(self, workflow: str | None = None) -> list[tuple[str, str]]:
        """Every (workflow, stage) with recorded calls or feedback."""
        if workflow:
            rows = self._rows(
                "SELECT workflow, stage FROM routing_calls WHERE workflow = ? UNION "
                "SELECT workflow, stage FROM routing_feedback WHERE workflow = ? ORDER BY 1, 2",
                (workflow, workflow),
            )
        else:
            rows = self._rows(
                "SELECT workflow, stage FROM routing_calls UNION "
                "SELECT workflow, stage FROM routing_feedback ORDER BY 1, 2"
            )
        return [(w, s) for w, s in rows]

    def prune_calls(self, before: datetime) -> int:
        """Delete the calls older than ``before`` (feedback is kept); returns how many went."""
        with self._write() as run:
            return int(run("DELETE FROM routing_calls WHERE ts_us < ?", (_us(before),)).rowcount)

    # -- feedback --------------------------------------------------------------------

    def add_feedback(
        self, workflow: str, stage: str, tier: str, quality: float, metadata: dict[str, Any]
    ) -> None:
        with self._write() as run:
            run(
                "INSERT INTO routing_feedback (workflow, stage, tier, quality, metadata, ts_us) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (workflow, stage, tier, quality, json.dumps(metadata, sort_keys=True), _us(utcnow())),
            )

    def recent_feedback(self, workflow: str, stage: str, tier: str, limit: int) -> list[float]:
        """The ``limit`` newest quality scores of a stage's tier, newest first."""
        rows = self._rows(
            "SELECT quality FROM routing_feedback WHERE workflow = ? AND stage = ? AND tier = ? "
            "ORDER BY id DESC LIMIT ?",
            (workflow, stage, tier, limit),
        )
        return [float(q) for (q,) in rows]

    # -- budgets ---------------------------------------------------------------------

    def reserve(
        self,
        reservation_id: str,
        *,
        day: str,
        workflow: str,
        run_id: str,
        model: str,
        amount: float,
        check: Callable[[Spend], None],
    ) -> None:
        """Reserve ``amount`` USD unless ``check`` (given what is reserved or spent) raises.

        The read and the insert are one exclusive transaction, so reservations of several
        processes cannot pass a cap together.
        """
        with self._write(exclusive=True) as run:
            total, by_workflow = run(
                "SELECT COALESCE(SUM(amount_nano), 0), "
                "COALESCE(SUM(CASE WHEN workflow = ? THEN amount_nano ELSE 0 END), 0) "
                "FROM routing_budget WHERE day = ?",
                (workflow, day),
            ).fetchone()
            by_run = 0
            if run_id:
                (by_run,) = run(
                    "SELECT COALESCE(SUM(amount_nano), 0) FROM routing_budget WHERE run_id = ?", (run_id,)
                ).fetchone()
            check(Spend(int(total) / 1e9, int(by_workflow) / 1e9, int(by_run) / 1e9))
            run(
                "INSERT INTO routing_budget (id, day, workflow, run_id, model, amount_nano, settled, ts_us) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?)",
                (reservation_id, day, workflow, run_id, model, to_nano(amount), _us(utcnow())),
            )

    def settle(self, reservation_id: str, cost: float) -> None:
        """Replace a reservation by the billed ``cost`` (0 for a failed call)."""
        with self._write() as run:
            run(
                "UPDATE routing_budget SET amount_nano = ?, settled = 1 WHERE id = ?",
                (to_nano(cost), reservation_id),
            )

    def prune_budget(self, before_day: str) -> int:
        """Delete the reservations of UTC days before ``before_day`` (``YYYY-MM-DD``)."""
        with self._write() as run:
            return int(run("DELETE FROM routing_budget WHERE day < ?", (before_day,)).rowcount)

    def spend(self, day: str, workflow: str = "", run_id: str = "") -> Spend:
        """What is reserved or spent on ``day`` (and by ``workflow``, and by ``run_id``)."""
        total, by_workflow = self._rows(
            "SELECT COALESCE(SUM(amount_nano), 0), "
            "COALESCE(SUM(CASE WHEN workflow = ? THEN amount_nano ELSE 0 END), 0) "
            "FROM routing_budget WHERE day = ?",
            (workflow, day),
        )[0]
        (by_run,) = self._rows(
            "SELECT COALESCE(SUM(amount_nano), 0) FROM routing_budget WHERE run_id = ?", (run_id,)
        )[0]
        return Spend(int(total) / 1e9, int(by_workflow) / 1e9, int(by_run) / 1e9)


def _migrations(postgres: bool) -> list[tuple[str, ...]]:
    words = (
        {"row_id": "BIGSERIAL PRIMARY KEY", "integer": "BIGINT", "real": "DOUBLE PRECISION"}
        if postgres
        else {"row_id": "INTEGER PRIMARY KEY", "integer": "INTEGER", "real": "REAL"}
    )
    return [tuple(s.format(**words) for s in statements) for statements in _MIGRATIONS_SQL]


def open_store(url: str) -> RoutingStore:
    """The routing store at ``url`` (``sqlite:///...`` or ``postgresql://...``), schema up to date."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        from empathy_sqlite.database import connect

        return RoutingStore(connect(url, COMPONENT, _migrations(False)), url, postgres=False)
    if scheme in ("postgresql", "postgres"):
        try:
            from empathy_postgres.database import connect as pg_connect
        except ImportError:
            raise StorageError(
                f"routing store {redact_url(url)}: PostgreSQL needs the empathy-postgres plugin "
                "(pip install empathy-routing[postgres])"
            ) from None
        conn, _schema = pg_connect(url, COMPONENT, _migrations(True))
        return RoutingStore(conn, url, postgres=True)
    raise StorageError(
        f"routing store {redact_url(url)}: unsupported URL scheme {scheme + '://' if scheme else repr(url)} "
        "(use sqlite:///path or postgresql://...)"
    )
