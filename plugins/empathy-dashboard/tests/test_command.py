"""``empathy dashboard`` as a user runs it: a real server process, its address and token
on stdout, and one error line for bad options."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, headers: dict[str, str] | None = None, data: bytes | None = None) -> tuple[int, Any]:
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


class Dashboard:
    """A started ``empathy dashboard`` process and the lines it printed before serving."""

    def __init__(self, cache: Path, *args: str, lines: int = 1) -> None:
        env = {**os.environ, "EMPATHY_CACHE_DIR": str(cache)}
        env.pop("EMPATHY_CONFIG", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "empathy_core", "dashboard", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        self.lines = [self.process.stdout.readline() for _ in range(lines)]

    def stop(self) -> str:
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
        return err


@pytest.fixture
def start(empathy_cache_dir: Path) -> Iterator[Any]:
    started: list[Dashboard] = []

    def run(*args: str, lines: int = 1) -> Dashboard:
        started.append(Dashboard(empathy_cache_dir, *args, lines=lines))
        return started[-1]

    yield run
    for dashboard in started:
        if dashboard.process.poll() is None:
            dashboard.stop()


def test_on_loopback_reads_are_open_and_answers_need_the_token(start):
    port = free_port()
    dashboard = start("--port", str(port))
    assert dashboard.lines == [f"Empathy dashboard on http://127.0.0.1:{port}/ (Ctrl-C stops it)\n"]
    base = f"http://127.0.0.1:{port}"
    status, body = fetch(f"{base}/api/summary")
    assert status == 200 and body["stats"]["total_calls"] == 0
    status, body = fetch(f"{base}/api/approvals/abc", {"Content-Type": "application/json"}, b"{}")
    assert status == 403 and "x-empathy-token" in body["error"]
    status, body = fetch(f"{base}/api/agents", {"Host": "attacker.example"})
    assert status == 403
    assert "Traceback" not in dashboard.stop()


def test_beyond_loopback_the_token_is_printed_once_and_required(start):
    port = free_port()
    dashboard = start("--host", "0.0.0.0", "--port", str(port), lines=3)  # nosec B104 - the case under test
    assert "every request needs the token" in dashboard.lines[1]
    link = dashboard.lines[2].strip()
    token = link.split("?token=")[1]
    assert link == f"http://127.0.0.1:{port}/?token={token}" and len(token) >= 40
    base = f"http://127.0.0.1:{port}"
    assert fetch(f"{base}/api/agents")[0] == 401
    assert fetch(f"{base}/api/agents", {"X-Empathy-Token": "x" * len(token)})[0] == 401
    assert fetch(f"{base}/api/agents", {"X-Empathy-Token": token}) == (
        200,
        {"agents": [], "active": 0, "stale": 0},
    )
    err = dashboard.stop()
    assert token not in err and "Traceback" not in err


def test_a_port_in_use_is_one_error_line(empathy_cli):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        line = empathy_cli("dashboard", "--port", str(port)).error_line(1)
    assert line.startswith(f"Error: cannot listen on 127.0.0.1:{port}: ")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--port", "0"), "--port"),
        (("--port", "70000"), "--port"),
        (("--port", "http"), "--port"),
        (("--host", "no such host.invalid"), "--host"),
    ],
)
def test_bad_options_exit_2_naming_them(empathy_cli, args, says):
    assert says in empathy_cli("dashboard", *args).error_line(2)


def test_help_lists_the_options(empathy_cli):
    out = empathy_cli("dashboard", "--help").ok()
    for option in ("--host", "--port", "--open", "--allow-host"):
        assert option in out
