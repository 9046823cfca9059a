"""Checkpointed runs through the middleware and lifecycle hooks: what is stored, resume
without calling finished stages again (proved by the fake Anthropic server's request log),
unserialisable outputs failing at the first run, opting out."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, ClassVar

import pytest

import empathy_anthropic.plugin as anthropic_plugin
from empathy_checkpoints.durable import CheckpointError, open_store, resume_run
from empathy_checkpoints.testing import Findings, ResumableWorkflow, UnserialisableWorkflow, Workflows
from empathy_core import UnknownNameError

# a middleware or hook failing in its own code would be disabled and the run go on without it
pytestmark = pytest.mark.filterwarnings("error::empathy_core.PluginLoadWarning")


def register(runtime: Any, *classes: type) -> None:
    runtime.add_plugin(Workflows(*classes), "test-workflows")


def by_stage(received: list[Any]) -> dict[str, int]:
    """Requests the fake server answered, counted by the stage named in the user message."""
    counts: dict[str, int] = {}
    for request in received:
        text = request.body["messages"][0]["content"]
        text = text if isinstance(text, str) else text[0]["text"]
        stage = text.split(":", 1)[0]
        counts[stage] = counts.get(stage, 0) + 1
    return counts


def test_a_run_stores_its_record_and_one_checkpoint_per_stage(durable, run_workflow):
    result = run_workflow(ResumableWorkflow, {"topic": "queues"})
    assert result.status == "success"
    store = open_store(durable)
    run = store.get_run(result.run_id)
    assert (run.workflow, run.status, run.error) == ("resumable", "success", None)
    assert run.input == {"topic": "queues"}
    stages = store.stages(result.run_id)
    assert [c.stage for c in stages] == ["scan", "analyse", "summarise"]
    assert [c.tier for c in stages] == ["cheap", "capable", "premium"]
    assert stages[1].output_type == "empathy_checkpoints.testing:Findings"
    assert stages[0].output == result.stages[0].output
    assert [(c.tokens_in, c.tokens_out, c.model) for c in stages] == [
        (s.tokens_in, s.tokens_out, s.model) for s in result.stages
    ]


def test_the_store_is_the_telemetry_database_by_default(durable):
    store = open_store(durable)
    assert store.url == durable.backend_url("telemetry")


def test_a_failed_run_resumes_after_its_last_finished_stage(durable, run_workflow, monkeypatch):
    register(durable, ResumableWorkflow)
    monkeypatch.setenv("EMPATHY_TEST_FAIL_STAGE", "summarise")
    failed = run_workflow(ResumableWorkflow, {"topic": "queues"})
    assert (failed.status, failed.failed_stage) == ("failed", "summarise")
    assert open_store(durable).get_run(failed.run_id).status == "failed"
    monkeypatch.delenv("EMPATHY_TEST_FAIL_STAGE")
    ResumableWorkflow.ran = []

    resumed = asyncio.run(resume_run(durable, failed.run_id, provider_name="mock"))
    assert (resumed.status, resumed.run_id) == ("success", failed.run_id)
    assert ResumableWorkflow.ran == ["summarise"]
    scan, analyse, summarise = resumed.stages
    assert scan.reason.startswith("checkpoint:") and (scan.cost, scan.tokens_in) == (0.0, 0)
    assert analyse.output == Findings("queues", [failed.stages[0].output["scan_text"][:20]])
    assert summarise.reason != scan.reason
    run = open_store(durable).get_run(failed.run_id)
    assert (run.status, run.error) == ("success", None)
    assert [c.stage for c in open_store(durable).stages(run.run_id)] == ["scan", "analyse", "summarise"]


def test_resume_never_calls_a_finished_stage_again(
    fake_anthropic, empathy, durable_with, run_workflow, monkeypatch
):
    runtime = durable_with(provider="anthropic")
    runtime.add_plugin(anthropic_plugin, "anthropic", dist="empathy-anthropic")
    register(runtime, ResumableWorkflow)
    monkeypatch.setenv("EMPATHY_TEST_FAIL_STAGE", "analyse")
    failed = run_workflow(ResumableWorkflow, {"topic": "queues"}, provider="anthropic")
    assert failed.status == "failed" and failed.stages[0].cost > 0
    monkeypatch.delenv("EMPATHY_TEST_FAIL_STAGE")

    resumed = asyncio.run(resume_run(runtime, failed.run_id, provider_name="anthropic"))
    assert resumed.status == "success"
    assert by_stage(fake_anthropic.received("/v1/messages")) == {"scan": 1, "analyse": 2, "summarise": 1}
    assert resumed.stages[0].cost == 0.0


def test_an_unserialisable_output_fails_the_first_run_and_stops_it(durable, run_workflow):
    UnserialisableWorkflow.ran = []
    result = run_workflow(UnserialisableWorkflow)
    assert (result.status, result.failed_stage) == ("failed", "first")
    assert "output of stage 'first' of 'unserialisable' cannot be checkpointed" in result.error
    assert "object" in result.error
    assert UnserialisableWorkflow.ran == ["first"]
    run = open_store(durable).get_run(result.run_id)
    assert run.status == "failed" and "cannot be checkpointed" in run.error
    assert open_store(durable).stages(result.run_id) == []


def test_an_unserialisable_input_fails_the_first_stage(durable, run_workflow):
    result = run_workflow(ResumableWorkflow, {"topic": object()})
    assert result.status == "failed" and "input of run" in result.error
    assert ResumableWorkflow.ran == []


def test_resume_refuses_a_finished_an_unknown_or_an_invalid_run(durable, run_workflow):
    done = run_workflow(ResumableWorkflow, {"topic": "x"})
    register(durable, ResumableWorkflow)
    with pytest.raises(CheckpointError, match="already succeeded") as finished:
        asyncio.run(resume_run(durable, done.run_id))
    assert finished.value.exit_code == 2
    with pytest.raises(UnknownNameError, match="no run 'feedbeef'"):
        asyncio.run(resume_run(durable, "feedbeef"))
    with pytest.raises(CheckpointError, match="invalid run id"):
        asyncio.run(resume_run(durable, "../etc/passwd"))


class NotCheckpointed(ResumableWorkflow):
    name = "not-checkpointed"
    checkpoint: ClassVar[bool] = False


def test_a_workflow_or_the_settings_opt_out(empathy, durable_with, run_workflow):
    runtime = durable_with()
    result = run_workflow(NotCheckpointed, {"topic": "x"})
    assert result.status == "success" and open_store(runtime).get_run(result.run_id) is None


def test_disabled_in_settings(empathy, durable_with, run_workflow):
    runtime = durable_with(enabled=False)
    result = run_workflow(ResumableWorkflow, {"topic": "x"})
    assert result.status == "success" and open_store(runtime).get_run(result.run_id) is None


def test_a_store_setting_moves_the_checkpoints(empathy, durable_with, run_workflow, tmp_path):
    runtime = durable_with(store=f"sqlite:///{tmp_path}/elsewhere.db")
    result = run_workflow(ResumableWorkflow, {"topic": "x"})
    assert open_store(runtime).url == f"sqlite:///{tmp_path}/elsewhere.db"
    assert open_store(runtime).get_run(result.run_id).status == "success"


@pytest.fixture(params=["postgresql", "redis"])
def team_store(request: pytest.FixtureRequest, empathy: Any, durable_with: Any) -> Any:
    """A runtime whose checkpoints go to PostgreSQL or Redis (skipped when unreachable)."""
    if request.param == "postgresql":
        import empathy_postgres.plugin as postgres_plugin

        runtime = durable_with(store=request.getfixturevalue("postgres_url"))
        runtime.add_plugin(postgres_plugin, "postgres", dist="empathy-postgres")
        yield runtime
        return
    from empathy_checkpoints.testing import REDIS_URL, redis_problem

    problem = redis_problem()
    if problem:
        pytest.skip(problem)
    import redis

    prefix = f"test-{uuid.uuid4().hex[:12]}"
    runtime = durable_with(store=REDIS_URL, others={"empathy-redis": {"key_prefix": prefix}})
    import empathy_redis.plugin as redis_plugin

    runtime.add_plugin(redis_plugin, "redis", dist="empathy-redis")
    yield runtime
    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def test_runs_resume_on_the_team_stores(team_store, run_workflow, monkeypatch):
    register(team_store, ResumableWorkflow)
    monkeypatch.setenv("EMPATHY_TEST_FAIL_STAGE", "analyse")
    failed = run_workflow(ResumableWorkflow, {"topic": "team"})
    monkeypatch.delenv("EMPATHY_TEST_FAIL_STAGE")
    ResumableWorkflow.ran = []
    resumed = asyncio.run(resume_run(team_store, failed.run_id, provider_name="mock"))
    assert resumed.status == "success" and ResumableWorkflow.ran == ["analyse", "summarise"]
    name = type(open_store(team_store)).__name__
    assert name in ("PostgresCheckpointStore", "RedisCheckpointStore")
    assert len(open_store(team_store).stages(failed.run_id)) == 3


def test_resume_refuses_a_run_a_live_worker_holds(durable, run_workflow, monkeypatch):
    register(durable, ResumableWorkflow)
    monkeypatch.setenv("EMPATHY_TEST_FAIL_STAGE", "analyse")
    failed = run_workflow(ResumableWorkflow, {"topic": "held"})
    monkeypatch.delenv("EMPATHY_TEST_FAIL_STAGE")
    assert open_store(durable).claim_run(failed.run_id, "worker-a", 60) is not None
    with pytest.raises(CheckpointError, match="being run by worker worker-a"):
        asyncio.run(resume_run(durable, failed.run_id))
    ResumableWorkflow.ran = []
    resumed = asyncio.run(resume_run(durable, failed.run_id, owner="worker-a"))
    assert resumed.status == "success" and ResumableWorkflow.ran == ["analyse", "summarise"]
