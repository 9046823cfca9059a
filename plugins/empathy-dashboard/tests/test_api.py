"""The JSON endpoints against real SQLite stores: figures equal the public API's, buckets
add up, runs and their stages, agents, events, approvals, routing, and nothing private."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from datetime import timedelta
from typing import Any

import pytest

from empathy_coordination import ApprovalGate, EventStreamer, HeartbeatCoordinator
from empathy_core import Usage, UsageRecord, UsageTracker, utcnow
from empathy_dashboard import DashboardData
from empathy_dashboard.app import live

HAIKU, SONNET, OPUS = "claude-haiku-4-5", "claude-sonnet-4-6", "claude-opus-4-6"


def write_at(runtime: Any, days_ago: float, workflow: str, cost_tokens: int, **fields: Any) -> UsageRecord:
    """A priced HAIKU call ``days_ago`` days back, written through the public chokepoint."""
    usage = Usage(cost_tokens, 0)
    record = UsageRecord(
        workflow=workflow,
        stage=fields.pop("stage", "scan"),
        tier="cheap",
        provider="anthropic",
        model=HAIKU,
        usage=usage,
        cost=runtime.config.price_table().cost(HAIKU, usage),
        timestamp=utcnow() - timedelta(days=days_ago),
        **fields,
    )
    stored = runtime.record_usage(record)
    runtime.flush()
    return stored


def test_summary_has_the_trackers_figures_and_tier_savings_add_up(client, runtime, record):
    record("review", "scan", "cheap", HAIKU, input=2000, output=300, cache_read=4000, run_id="r1")
    record("review", "analyse", "capable", SONNET, input=1500, output=700, run_id="r1")
    record("tests", "plan", "premium", OPUS, input=1000, output=100, run_id="r2")
    record("tests", "plan", "premium", OPUS, input=1000, output=0, success=False, run_id="r2")

    body = client.get("/api/summary?days=7").json()
    expected = UsageTracker(runtime).get_stats(7)
    for key in ("total_calls", "failed_calls", "total_cost", "baseline_cost", "savings", "cache_hit_rate"):
        assert body["stats"][key] == pytest.approx(expected[key]), key
    assert body["stats"]["by_workflow"].keys() == {"review", "tests"}
    assert body["cache"]["hits"] == 1 and body["cache"]["savings"] > 0
    tiers = {row["tier"]: row for row in body["tier_savings"]}
    assert [row["tier"] for row in body["tier_savings"]] == ["cheap", "capable", "premium"]
    assert sum(t["baseline_cost"] for t in tiers.values()) == pytest.approx(expected["baseline_cost"])
    assert sum(t["cost"] for t in tiers.values()) == pytest.approx(expected["total_cost"])
    assert tiers["premium"]["savings"] == pytest.approx(0) and tiers["cheap"]["savings_percent"] > 50


def test_timeseries_buckets_hold_each_call_once_and_follow_new_calls(client, runtime):
    old = write_at(runtime, 3.0, "review", 10_000)
    mid = write_at(runtime, 1.5, "tests", 20_000)
    body = client.get("/api/timeseries?days=7&by=workflow").json()
    assert body["bucket"] == "day" and len(body["times"]) == 7
    series = {s["name"]: s for s in body["series"]}
    day = {s: i for i, s in enumerate(body["times"])}
    start_of = lambda moment: int(moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())  # noqa: E731
    assert series["review"]["cost"][day[start_of(old.timestamp)]] == pytest.approx(old.cost)
    assert series["tests"]["cost"][day[start_of(mid.timestamp)]] == pytest.approx(mid.cost)
    assert sum(series["review"]["cost"]) == pytest.approx(old.cost) and sum(series["review"]["calls"]) == 1

    new = write_at(runtime, 0, "review", 5_000)  # the open bucket is never kept
    again = {s["name"]: s for s in client.get("/api/timeseries?days=7&by=workflow").json()["series"]}
    assert again["review"]["cost"][-1] == pytest.approx(new.cost)
    assert again["review"]["total_cost"] == pytest.approx(old.cost + new.cost)
    by_tier = client.get("/api/timeseries?days=7&by=tier").json()["series"]
    assert [s["name"] for s in by_tier] == ["cheap"] and sum(by_tier[0]["calls"]) == 3

    UsageTracker(runtime).reset()  # the store shrank: kept buckets are dropped
    assert client.get("/api/timeseries?days=7&by=workflow").json()["series"] == []


def test_hourly_buckets_for_short_periods(client, runtime):
    write_at(runtime, 0.5 / 24, "review", 1000)
    body = client.get("/api/timeseries?days=1&by=model").json()
    assert body["bucket"] == "hour" and len(body["times"]) == 24
    assert body["series"][0]["name"] == HAIKU and sum(body["series"][0]["calls"]) == 1


def test_most_expensive_runs_and_a_runs_stages(client, runtime, record):
    record("review", "scan", "cheap", HAIKU, input=1000, run_id="cheap-run")
    record("review", "scan", "premium", OPUS, input=9000, output=900, run_id="dear-run")
    record("review", "analyse", "premium", OPUS, input=3000, run_id="dear-run")
    record("review", "analyse", "premium", OPUS, input=3000, run_id="dear-run")
    record("review", "scan", "cheap", HAIKU, input=100)  # outside any run: not a run

    runs = client.get("/api/runs?sort=cost").json()["runs"]
    assert [r["run_id"] for r in runs] == ["dear-run", "cheap-run"]
    assert runs[0]["calls"] == 3 and runs[0]["cost"] > runs[1]["cost"]
    recent = client.get("/api/runs?sort=recent&limit=1").json()["runs"]
    assert [r["run_id"] for r in recent] == ["dear-run"]

    detail = client.get("/api/runs/dear-run").json()
    stages = {(s["stage"], s["model"]): s for s in detail["run"]["stages"]}
    assert [s["stage"] for s in detail["run"]["stages"]] == ["scan", "analyse"]
    assert stages[("analyse", OPUS)]["calls"] == 2 and stages[("analyse", OPUS)]["input_tokens"] == 6000
    assert sum(s["cost"] for s in stages.values()) == pytest.approx(detail["run"]["cost"])
    assert client.get("/api/runs/no-such-run").status_code == 404
    assert "run_id" in client.get("/api/runs/not%20a%20name").json()["error"]


def test_a_tracked_run_shows_its_heartbeat_status_and_events(client, runtime, record):
    beat = HeartbeatCoordinator(empathy=runtime)
    beat.start_heartbeat("review-run7", {"workflow": "review", "run_id": "run7"})
    beat.complete("success", {"cost": 0.01})
    EventStreamer(empathy=runtime).publish_event("stage_finished", {"run_id": "run7", "stage": "scan"})
    record("review", "scan", "cheap", HAIKU, run_id="run7")
    detail = client.get("/api/runs/run7").json()
    assert detail["run"]["status"] == "success" and detail["run"]["agent_id"] == "review-run7"
    assert [e["event_type"] for e in detail["events"]] == ["stage_finished"]


def test_agents_are_listed_with_stale_ones_flagged(client, runtime, poll):
    live_one = HeartbeatCoordinator(empathy=runtime, ttl=3600)
    live_one.start_heartbeat("worker-live")
    live_one.beat(progress=0.5, current_stage="analyse")
    quiet = HeartbeatCoordinator(empathy=runtime, ttl=0.2)
    quiet.start_heartbeat("worker-quiet")
    done = HeartbeatCoordinator(empathy=runtime)
    done.start_heartbeat("worker-done")
    done.complete()

    body = poll(lambda: (b := client.get("/api/agents").json())["stale"] and b, "stale agent")
    agents = {a["agent_id"]: a for a in body["agents"]}
    assert agents["worker-quiet"]["stale"] and not agents["worker-live"]["stale"]
    assert (agents["worker-live"]["progress"], agents["worker-live"]["current_stage"]) == (0.5, "analyse")
    assert agents["worker-done"]["finished"] and body["agents"][-1]["agent_id"] == "worker-done"
    assert body["active"] == 1


def test_events_newest_first_and_by_type(client, runtime):
    streamer = EventStreamer(empathy=runtime)
    for i in range(3):
        streamer.publish_event("tick", {"n": i})
    streamer.publish_event("tock", {"n": 9})
    assert [e["data"]["n"] for e in client.get("/api/events?count=3").json()["events"]] == [9, 2, 1]
    assert [e["data"]["n"] for e in client.get("/api/events?type=tick").json()["events"]] == [2, 1, 0]
    assert client.get("/api/events?type=no%20such").status_code == 400


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/api/summary?days=abc", "days"),
        ("/api/summary?days=0", "days"),
        ("/api/summary?days=nan", "days"),
        ("/api/timeseries?by=user", "by"),
        ("/api/timeseries?days=400", "days"),
        ("/api/events?count=5000", "count"),
        ("/api/runs?sort=cheapest", "sort"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, path, named):
    response = client.get(path)
    assert response.status_code == 400 and response.json()["error"].startswith(named)


def ask(runtime: Any, answers: list[Any], timeout: float = 30.0) -> threading.Thread:
    """A started thread asking for approval and putting the answer in ``answers``."""
    gate = ApprovalGate("deployer", empathy=runtime)
    thread = threading.Thread(
        target=lambda: answers.append(gate.request_approval("deploy", {"stage": "ship"}, timeout)),
        daemon=True,
    )
    thread.start()
    return thread


def answer(client: Any, request_id: str, **body: Any) -> Any:
    headers = {"X-Empathy-Token": client.app_token, "Content-Type": "application/json"}
    return client.post(f"/api/approvals/{request_id}", json=body, headers=headers)


@pytest.fixture
def client_with_token(client, guard):
    client.app_token = guard.token
    return client


def test_an_approval_is_answered_once_and_the_responder_recorded(client_with_token, runtime, poll):
    client = client_with_token
    answers: list[Any] = []
    waiter = ask(runtime, answers)
    [pending] = poll(lambda: client.get("/api/approvals").json()["approvals"], "pending approval")
    assert (pending["approval_type"], pending["agent_id"], pending["context"]) == (
        "deploy",
        "deployer",
        {"stage": "ship"},
    )

    rejected = answer(client, pending["request_id"], decision="reject", responder="carol", reason="")
    assert rejected.status_code == 400 and "reason" in rejected.json()["error"]
    ok = answer(client, pending["request_id"], decision="approve", responder="carol", reason="looks fine")
    assert ok.status_code == 200 and ok.json()["responder"] == "carol"
    waiter.join(30)
    assert answers[0].approved and (answers[0].responder, answers[0].reason) == ("carol", "looks fine")

    again = answer(client, pending["request_id"], decision="reject", responder="dave", reason="no")
    assert again.status_code == 409 and "already approved" in again.json()["error"]
    assert answer(client, "deadbeef", decision="approve").status_code == 404
    assert answer(client, pending["request_id"], decision="maybe").status_code == 400
    assert "responder" in answer(client, "x", decision="approve", responder="bad name!").json()["error"]
    assert client.get("/api/approvals").json()["approvals"] == []


def test_routing_advice_per_stage(client, record):
    for _ in range(3):
        record("review", "scan", "cheap", HAIKU)
    body = client.get("/api/routing").json()
    assert body["available"] is True
    [row] = body["stages"]
    assert (row["workflow"], row["stage"], row["action"]) == ("review", "scan", "keep")
    assert row["best_model"] and "min_samples" in row["reason"]


def test_routing_says_so_when_the_plugin_is_absent(client, record, monkeypatch):
    record("review", "scan", "cheap", HAIKU)
    monkeypatch.setitem(sys.modules, "empathy_routing", None)  # import fails as if not installed
    body = client.get("/api/routing").json()
    assert body == {"available": False, "reason": "the empathy-routing plugin is not installed", "stages": []}


SECRET_KEY = "sk-ant-api03-dashboard-test-secret-value-0123456789"


def test_no_prompt_key_or_raw_user_id_in_any_answer(client, runtime, record, monkeypatch, poll):
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET_KEY)
    record(
        "review", "scan", "cheap", HAIKU, run_id="r1", user_id="alice@example.com", prompt="PROMPT-TEXT-42"
    )
    beat = HeartbeatCoordinator(empathy=runtime)
    beat.start_heartbeat(
        "worker", {"user_id": "alice@example.com", "api_key": SECRET_KEY, "note": SECRET_KEY}
    )
    EventStreamer(empathy=runtime).publish_event(
        "stage_finished",
        {
            "run_id": "r1",
            "prompt": "PROMPT-TEXT-42",
            "user": "alice@example.com",
            "error": f"bad key {SECRET_KEY}",
        },
    )
    gate = ApprovalGate("worker", empathy=runtime)
    waiter = threading.Thread(
        target=gate.request_approval,
        args=("ship", {"user_id": "alice@example.com", "system": "PROMPT-TEXT-42"}, 30),
        daemon=True,
    )
    waiter.start()
    [pending] = poll(gate.get_pending_approvals, "pending approval")
    paths = ["/api/summary", "/api/timeseries", "/api/runs", "/api/runs/r1", "/api/agents", "/api/events"]
    paths += ["/api/approvals", "/api/routing", "/api/stream?rounds=1"]
    bodies = {path: client.get(path).text for path in paths}
    gate.respond_to_approval(pending.request_id, False, "test", "done")
    waiter.join(30)
    for path, text in bodies.items():
        for private in ("PROMPT-TEXT-42", "alice@example.com", SECRET_KEY):
            assert private not in text, f"{path} shows {private}"
    assert "(hidden)" in bodies["/api/agents"] and "***" in bodies["/api/events"]


def test_the_stream_sends_snapshots_then_each_new_event(runtime, poll):
    data = DashboardData(runtime)
    streamer = EventStreamer(empathy=runtime)
    streamer.publish_event("before", {"n": 0})

    async def read() -> list[str]:
        messages: list[str] = []
        stream = live(data, interval=0.02)
        async for message in stream:
            messages.append(message)
            if len(messages) == 3:  # agents, approvals, telemetry snapshots of the first poll
                await asyncio.to_thread(streamer.publish_event, "after", {"n": 1})
            if message.startswith("event: event"):
                break
        await stream.aclose()
        return messages

    messages = asyncio.run(asyncio.wait_for(read(), 30))
    assert [m.split("\n")[0] for m in messages[:3]] == [
        "event: agents",
        "event: approvals",
        "event: telemetry",
    ]
    assert '"event_type": "after"' in messages[-1] and not any('"before"' in m for m in messages)


def test_a_checkpointed_run_shows_its_stored_stages_and_never_its_outputs(runtime, client, run_workflow):
    import empathy_checkpoints.plugin as checkpoints_plugin
    from empathy_testing.sample_workflows import ThreeTierWorkflow

    record_free = run_workflow(ThreeTierWorkflow, {"topic": "before"})
    before = client.get(f"/api/runs/{record_free.run_id}").json()["checkpoints"]
    assert before == {"available": False, "reason": "empathy-checkpoints is not installed"}
    runtime.add_plugin(checkpoints_plugin, "checkpoints", dist="empathy-checkpoints")
    result = run_workflow(ThreeTierWorkflow, {"topic": "a secret prompt"})
    body = client.get(f"/api/runs/{result.run_id}").json()
    stored = body["checkpoints"]
    assert stored["available"] and stored["run"]["status"] == "success"
    assert [s["stage"] for s in stored["stages"]] == ["scan", "analyse", "summarise"]
    assert sum(s["cost"] for s in stored["stages"]) == pytest.approx(result.cost)
    assert "a secret prompt" not in json.dumps(body)
