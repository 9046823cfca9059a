"""The routing store on SQLite and, when a server answers, PostgreSQL: history, feedback,
and budget reservations that several connections cannot overspend together."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from empathy_core import StorageError, Usage, UsageRecord
from empathy_routing import BudgetExceededError, open_store

PG_SERVER = os.environ.get("EMPATHY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _postgres_problem() -> str | None:
    try:
        import psycopg

        import empathy_postgres.database  # noqa: F401
    except ImportError as exc:
        return f"psycopg or empathy-postgres is not installed ({exc})"
    try:
        psycopg.connect(PG_SERVER, connect_timeout=2).close()
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split())
        return f"no PostgreSQL server at {PG_SERVER} ({reason}); set EMPATHY_TEST_POSTGRES_URL"
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'routing.db'}"
        return
    problem = _postgres_problem()
    if problem:
        pytest.skip(problem)
    import psycopg

    schema = f"routing_test_{uuid.uuid4().hex[:12]}"
    yield f"{PG_SERVER}?schema={schema}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture
def store(url):
    opened = open_store(url)
    yield opened
    opened.close()


def call(stage: str, tier: str, success: bool = True) -> UsageRecord:
    return UsageRecord(
        workflow="wf",
        stage=stage,
        tier=tier,
        provider="anthropic",
        model="m",
        usage=Usage(),
        cost=0.001,
        success=success,
    )


def test_recent_calls_are_newest_first_per_stage(store):
    store.add_calls([call("a", "cheap", False), call("a", "capable"), call("b", "cheap"), call("", "cheap")])
    recent = store.recent_calls("wf", "a", 10)
    assert [(c.tier, c.success) for c in recent] == [("capable", True), ("cheap", False)]
    assert recent[0].cost == pytest.approx(0.001)
    assert store.stages() == [("wf", "a"), ("wf", "b")]


def test_feedback_round_trips_newest_first_per_tier(store):
    for quality in (0.2, 0.4, 0.9):
        store.add_feedback("wf", "a", "cheap", quality, {"tokens": 10})
    store.add_feedback("wf", "a", "capable", 1.0, {})
    assert store.recent_feedback("wf", "a", "cheap", 2) == [0.9, 0.4]
    assert store.recent_feedback("wf", "a", "capable", 5) == [1.0]
    assert store.stages("wf") == [("wf", "a")]


def test_reservations_from_many_connections_never_pass_the_cap(url, store):
    cap, each, attempts = 0.05, 0.01, 12
    granted: list[str] = []

    def check(spend):
        if spend.day + each > cap + 1e-12:
            raise BudgetExceededError("over")

    def reserve(i: int) -> None:
        own = open_store(url)  # one connection each, as separate processes would have
        try:
            own.reserve(
                f"r{i}", day="2026-12-03", workflow="wf", run_id="", model="m", amount=each, check=check
            )
            granted.append(f"r{i}")
        except BudgetExceededError:
            pass
        finally:
            own.close()

    threads = [threading.Thread(target=reserve, args=(i,)) for i in range(attempts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(granted) == 5
    assert store.spend("2026-12-03").day == pytest.approx(0.05)
    store.settle(granted[0], 0.002)
    spend = store.spend("2026-12-03", workflow="wf")
    assert (spend.day, spend.workflow_day) == (pytest.approx(0.042), pytest.approx(0.042))
    assert store.prune_budget("2026-12-03") == 0  # only days before it
    assert store.prune_budget("2026-12-04") == 5
    assert store.spend("2026-12-03").day == 0


def test_an_unsupported_url_is_a_storage_error():
    with pytest.raises(StorageError, match=r"unsupported URL scheme redis://"):
        open_store("redis://localhost:6379/0")


def test_a_foreign_file_is_refused_and_the_history_sink_never_fails_a_run(
    configure, tmp_path, run_workflow, one_call, caplog
):
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database\n")
    with pytest.raises(StorageError, match="is not an SQLite database"):
        open_store(f"sqlite:///{foreign}")
    configure(f"provider: mock\nplugins:\n  settings:\n    empathy-routing: {{store: 'sqlite:///{foreign}'}}\n")
    result = run_workflow(one_call)
    assert result.succeeded, result.error
    assert "routing: call history not stored" in caplog.text
    assert foreign.read_text() == "not a database\n"
