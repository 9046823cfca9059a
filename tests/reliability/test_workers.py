"""A worker killed with SIGKILL mid-run: after its lease (heartbeat) expires another worker
claims the run and finishes it from its checkpoint, on SQLite (one machine) and on Redis
Streams + PostgreSQL (several machines). Also: Redis restarted under a running worker."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from empathy_checkpoints.testing import (
    POSTGRES_URL,
    by_stage,
    drop_schema,
    postgres_problem,
    redis_problem,
    wait_for_file,
)

LEASE = 1.0


def write_config(path: Path, extra: str = "", settings: str = "") -> None:
    path.write_text(
        "provider: anthropic\n"
        f"{extra}"
        "plugins:\n  settings:\n    empathy-checkpoints:\n"
        f"      lease: {LEASE}\n{settings}"
    )


@pytest.fixture(params=["sqlite", "redis+postgres"])
def shared(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """The config of workers sharing one queue: SQLite files, or Redis and PostgreSQL."""
    config = tmp_path / "empathy.config.yml"
    if request.param == "sqlite":
        write_config(config)
        yield config
        return
    problem = redis_problem() or postgres_problem()
    if problem:
        pytest.skip(problem)
    from empathy_checkpoints.testing import REDIS_URL

    prefix, schema = f"test-{uuid.uuid4().hex[:12]}", f"empathy_test_{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}{'&' if '?' in POSTGRES_URL else '?'}schema={schema}"
    write_config(
        config,
        extra=f"coordination:\n  store: {REDIS_URL}\n",
        settings=f"      store: {url}\n    empathy-redis:\n      key_prefix: {prefix}\n",
    )
    yield config
    drop_schema(POSTGRES_URL, schema)
    import redis

    with redis.Redis.from_url(REDIS_URL) as client:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)


def test_a_dead_workers_run_is_finished_by_another(fake_anthropic, shared, spawn, cli, tmp_path):
    env = fake_anthropic.env()
    code, out, err = cli("workflow", "submit", "resumable", "--input", '{"topic": "handover"}', env=env)
    assert code == 0, err
    run_id = out.strip()
    marker = tmp_path / "in-analyse"
    blocking = {"EMPATHY_TEST_BLOCK_STAGE": "analyse", "EMPATHY_TEST_MARKER": str(marker)}
    first = spawn("worker", env={**env, **blocking})
    wait_for_file(marker, first)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)

    code, out, err = cli("worker", "--max-runs", "1", "--idle-exit", "60", env=env)
    assert code == 0 and f"{run_id} success" in out, err
    paid = by_stage(fake_anthropic.received("/v1/messages"), status=200)
    assert paid == {"scan: handover": 1, "analyse: handover": 2, "summarise: handover": 1}
    code, out, _ = cli("workflow", "show", run_id, "--json", env=env)
    shown = json.loads(out)
    assert (shown["status"], shown["attempts"], shown["owner"]) == ("success", 2, None)
    assert len(shown["stages"]) == 3


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_redis(port: int, data: Path) -> subprocess.Popen[bytes]:
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data)]
    server = subprocess.Popen(
        [*args, "--appendonly", "yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while redis_problem(f"redis://127.0.0.1:{port}/0"):
        assert time.monotonic() < deadline and server.poll() is None, "redis-server did not start"
        time.sleep(0.05)
    return server


@pytest.mark.skipif(shutil.which("redis-server") is None, reason="redis-server is not installed")
def test_a_worker_keeps_working_across_a_redis_restart(fake_anthropic, spawn, cli, tmp_path):
    """The worker's queue (Redis Streams, a private server) goes away mid-run and comes back:
    the running run finishes, and a run submitted while Redis was down is found in the
    checkpoint store and run too."""
    port, data = _free_port(), tmp_path / "redis-data"
    data.mkdir()
    server = _start_redis(port, data)
    try:
        extra = f"coordination:\n  store: redis://127.0.0.1:{port}/0\n"
        write_config(tmp_path / "empathy.config.yml", extra=extra)
        env = fake_anthropic.env()
        marker, release = tmp_path / "in-analyse", tmp_path / "release"
        code, out, err = cli("workflow", "submit", "resumable", "--input", '{"topic": "restart"}', env=env)
        assert code == 0, err
        first_run = out.strip()
        blocking = {"EMPATHY_TEST_BLOCK_STAGE": "analyse", "EMPATHY_TEST_MARKER": str(marker)}
        blocking["EMPATHY_TEST_RELEASE"] = str(release)
        worker = spawn("worker", "--max-runs", "2", env={**env, **blocking})
        wait_for_file(marker, worker)
        server.terminate()
        server.wait(30)
        code, out, err = cli("workflow", "submit", "resumable", "--input", '{"topic": "while-down"}', env=env)
        assert code == 0 and "no worker was woken" in err, err
        second_run = out.strip()
        server = _start_redis(port, data)
        release.write_text("go")
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0 and "Traceback" not in err, err
        assert f"{first_run} success" in out and f"{second_run} success" in out
        paid = by_stage(fake_anthropic.received("/v1/messages"), status=200)
        assert set(paid.values()) == {1} and len(paid) == 6
    finally:
        server.terminate()
        server.wait(30)
