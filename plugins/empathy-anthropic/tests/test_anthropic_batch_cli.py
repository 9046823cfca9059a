"""``empathy batch ...`` as users run it: subprocesses of the real CLI against the fake server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from empathy_anthropic.batch_files import BatchInputError, load_requests
from empathy_testing.pytest_plugin import CliResult

REQUESTS = [
    {"custom_id": "summary", "prompt": "Summarise the logs.", "tier": "cheap"},
    {"custom_id": "report", "prompt": "Write the report.", "system": "Be terse.", "max_tokens": 64},
    {"custom_id": "broken", "prompt": "Fail please [[fake-error]]", "tier": "premium"},
]


@pytest.fixture
def home(tmp_path: Path, empathy_cache_dir: Path, fake_anthropic: Any) -> Path:
    """A working directory; the cache dir and the fake server's URL and key are in the environment."""
    return tmp_path


@pytest.fixture
def empathy_cmd(empathy_cli: Callable[..., CliResult], home: Path) -> Callable[..., CliResult]:
    """``empathy_cmd(*args, **env)``: the ``empathy`` command in ``home``, ``env`` added."""

    def run(*args: str, **env: str) -> CliResult:
        return empathy_cli(*args, cwd=home, env=env, timeout=120)

    return run


def ok(done: CliResult) -> str:
    return done.ok()


def failed(done: CliResult, code: int) -> str:
    """The one-line error of a failed command, checked for exit code and no traceback."""
    return done.error_line(code)


def write_requests(home: Path, data: Any, name: str = "requests.json") -> str:
    path = home / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def batch_entries(empathy_cmd: Callable[..., CliResult]) -> list[dict[str, Any]]:
    """The usage records in the configured telemetry store."""
    shown = json.loads(ok(empathy_cmd("telemetry", "show", "--json", "--limit", "100")))
    return shown["entries"]


def test_submit_status_wait_results_round_trip(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    fake_anthropic.batches.polls_to_end = 3
    batch_id = ok(empathy_cmd("batch", "submit", write_requests(home, REQUESTS))).strip()
    assert batch_id.startswith("msgbatch_")
    [created] = fake_anthropic.received("/v1/messages/batches")
    params = {item["custom_id"]: item["params"] for item in created.body["requests"]}
    assert [params[k]["model"] for k in ("summary", "report", "broken")] == [
        "claude-haiku-4-5",
        "claude-sonnet-4-6",
        "claude-opus-4-6",
    ]
    assert params["report"]["max_tokens"] == 64 and params["summary"]["max_tokens"] == 1024

    status = json.loads(ok(empathy_cmd("batch", "status", batch_id, "--json")))
    assert status["batch_id"] == batch_id and status["processing_status"] == "in_progress"
    assert status["request_counts"]["processing"] == 3
    assert ok(empathy_cmd("batch", "status", batch_id)).startswith(f"{batch_id}: in_progress (processing=3")

    output = home / "out" / "results.json"
    output.parent.mkdir()
    summary = ok(empathy_cmd("batch", "wait", batch_id, str(output), "--poll-interval", "0.01"))
    assert f"{batch_id}: 2/3 succeeded" in summary and "(usage recorded)" in summary
    rows = json.loads(output.read_text())
    assert [r["custom_id"] for r in rows] == ["summary", "report", "broken"]
    good, report, broken = rows
    assert good["success"] and good["result_type"] == "succeeded" and good["error"] is None
    assert good["model"] == "claude-haiku-4-5" and good["text"]
    assert good["usage"]["input_tokens"] > 0 and good["cost"] > 0
    assert report["success"] and report["model"] == "claude-sonnet-4-6"
    assert (broken["success"], broken["result_type"], broken["cost"], broken["text"]) == (
        False,
        "errored",
        0.0,
        None,
    )
    assert broken["error"].startswith("errored: invalid_request_error: fake error")
    assert [p.name for p in output.parent.iterdir()] == ["results.json"]

    status = json.loads(ok(empathy_cmd("batch", "status", batch_id, "--json")))
    assert status["processing_status"] == "ended" and status["ended_at"]
    assert {k: status["request_counts"][k] for k in ("processing", "succeeded", "errored")} == {
        "processing": 0,
        "succeeded": 2,
        "errored": 1,
    }

    entries = batch_entries(empathy_cmd)
    assert len(entries) == 3
    assert all(e["batch"] and e["request_id"] == batch_id for e in entries)
    by_cost = sorted(e["cost"] for e in entries)
    assert by_cost == pytest.approx(sorted(r["cost"] for r in rows), abs=1e-12)
    assert sorted(e["success"] for e in entries) == [False, True, True]


def test_fetching_results_again_does_not_record_again(
    home: Path, empathy_cmd: Callable[..., CliResult]
) -> None:
    batch_id = ok(empathy_cmd("batch", "submit", write_requests(home, REQUESTS[:2]))).strip()
    first, second = home / "first.json", home / "second.json"
    assert "(usage recorded)" in ok(
        empathy_cmd("batch", "wait", batch_id, str(first), "--poll-interval", "0.01")
    )
    again = ok(empathy_cmd("batch", "results", batch_id, str(second)))
    assert "usage already recorded by an earlier fetch" in again
    assert json.loads(first.read_text()) == json.loads(second.read_text())
    assert len(batch_entries(empathy_cmd)) == 2


def test_results_alone_records_once(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    fake_anthropic.batches.polls_to_end = 0
    batch_id = ok(empathy_cmd("batch", "submit", write_requests(home, REQUESTS), "--json"))
    batch_id = json.loads(batch_id)["batch_id"]
    output = home / "results.json"
    assert ok(empathy_cmd("batch", "status", batch_id)).startswith(f"{batch_id}: ended (processing=0")
    for _ in range(2):
        ok(empathy_cmd("batch", "results", batch_id, str(output)))
    assert len(json.loads(output.read_text())) == 3
    assert len(batch_entries(empathy_cmd)) == 3


def test_results_of_an_unfinished_batch_is_an_error(
    home: Path, empathy_cmd: Callable[..., CliResult]
) -> None:
    batch_id = ok(empathy_cmd("batch", "submit", write_requests(home, REQUESTS))).strip()
    error = failed(empathy_cmd("batch", "results", batch_id, str(home / "out.json")), 1)
    assert f"message batch {batch_id} has not ended (in_progress" in error
    assert "empathy batch wait" in error
    assert not (home / "out.json").exists()
    assert batch_entries(empathy_cmd) == []


def test_cancel_ends_every_request_canceled(home: Path, empathy_cmd: Callable[..., CliResult]) -> None:
    batch_id = ok(empathy_cmd("batch", "submit", write_requests(home, REQUESTS))).strip()
    canceled = json.loads(ok(empathy_cmd("batch", "cancel", batch_id, "--json")))
    assert canceled["processing_status"] == "canceling"
    output = home / "results.json"
    ok(empathy_cmd("batch", "wait", batch_id, str(output), "--poll-interval", "0.01"))
    rows = json.loads(output.read_text())
    assert {(r["result_type"], r["success"], r["cost"]) for r in rows} == {("canceled", False, 0.0)}
    again = failed(empathy_cmd("batch", "cancel", batch_id), 1)
    assert "has already ended" in again


def test_wait_timeout_is_an_error_and_writes_nothing(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    fake_anthropic.batches.polls_to_end = 1000
    batch_id = ok(empathy_cmd("batch", "submit", write_requests(home, REQUESTS))).strip()
    output = home / "results.json"
    done = empathy_cmd("batch", "wait", batch_id, str(output), "--poll-interval", "0.01", "--timeout", "0.05")
    error = failed(done, 1)
    assert f"message batch {batch_id} did not end within 0.05 s" in error and "wait again or cancel" in error
    assert not output.exists()


def test_unknown_batch_id(home: Path, empathy_cmd: Callable[..., CliResult]) -> None:
    error = failed(empathy_cmd("batch", "status", "msgbatch_nope"), 1)
    assert error.startswith("Error: unknown message batch msgbatch_nope")
    error = failed(empathy_cmd("batch", "status", "../etc/passwd"), 2)
    assert "invalid batch id '../etc/passwd'" in error


def test_missing_api_key_is_one_line(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    path = write_requests(home, REQUESTS)
    for args in (("submit", path), ("status", "msgbatch_x"), ("wait", "msgbatch_x", "out.json")):
        error = failed(empathy_cmd("batch", *args, ANTHROPIC_API_KEY=""), 1)
        assert error.startswith("Error: ANTHROPIC_API_KEY is missing or invalid")
    assert fake_anthropic.received() == []


BAD_FILES = [
    (None, "requests.json: no such file"),
    ("[{", "requests.json: invalid JSON at line 1 column 3"),
    ({"custom_id": "a", "prompt": "p"}, "expected a non-empty JSON list"),
    ([], "expected a non-empty JSON list"),
    ([{"custom_id": "a", "prompt": "p"}, "text"], "item 1: expected an object, got str"),
    ([{"prompt": "p"}], "item 0: missing 'custom_id'"),
    ([{"custom_id": "a"}], "item 0: missing 'prompt'"),
    ([{"custom_id": "a", "prompt": " "}], "item 0: 'prompt' is empty"),
    ([{"custom_id": "a/../b", "prompt": "p"}], "item 0: 'custom_id' 'a/../b' is invalid"),
    ([{"custom_id": 7, "prompt": "p"}], "item 0: 'custom_id' must be a string, got 7"),
    (
        [{"custom_id": "a", "prompt": "p"}, {"custom_id": "a", "prompt": "q"}],
        "item 1: 'custom_id' 'a' is used twice",
    ),
    (
        [{"custom_id": "a", "prompt": "p", "tier": "huge"}],
        "item 0: 'tier' must be one of cheap, capable, premium",
    ),
    ([{"custom_id": "a", "prompt": "p", "max_tokens": 0}], "item 0: 'max_tokens' must be at least 1"),
    (
        [{"custom_id": "a", "prompt": "p", "max_tokens": True}],
        "item 0: 'max_tokens' must be an integer, got true",
    ),
    ([{"custom_id": "a", "prompt": "p", "model": "x"}], "item 0: unknown key 'model'"),
]


@pytest.mark.parametrize(("content", "expected"), BAD_FILES)
def test_bad_requests_file_is_one_batch_input_error(tmp_path: Path, content: Any, expected: str) -> None:
    path = str(tmp_path / "requests.json") if content is None else write_requests(tmp_path, content)
    with pytest.raises(BatchInputError) as caught:
        load_requests(path, "capable")
    assert caught.value.exit_code == 2
    assert str(caught.value).startswith(f"requests file {path}") and expected in str(caught.value)


@pytest.mark.parametrize(("content", "expected"), [BAD_FILES[0], BAD_FILES[1], BAD_FILES[10]])
def test_bad_requests_file_exits_2_and_sends_nothing(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any, content: Any, expected: str
) -> None:
    path = str(home / "requests.json") if content is None else write_requests(home, content)
    error = failed(empathy_cmd("batch", "submit", path), 2)
    assert error.startswith(f"Error: requests file {path}") and expected in error
    assert fake_anthropic.received() == []


def test_tier_option_is_the_default_tier(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    requests = [{"custom_id": "a", "prompt": "p"}, {"custom_id": "b", "prompt": "q", "tier": "capable"}]
    ok(empathy_cmd("batch", "submit", write_requests(home, requests), "--tier", "premium"))
    [created] = fake_anthropic.received("/v1/messages/batches")
    assert [item["params"]["model"] for item in created.body["requests"]] == [
        "claude-opus-4-6",
        "claude-sonnet-4-6",
    ]
