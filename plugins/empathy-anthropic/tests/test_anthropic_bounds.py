"""Ids matched whole, text that can be sent, a poller with a floor, and timeouts a user can wait for.

Everything runs the real SDK against the fake server (``ANTHROPIC_BASE_URL``); the CLI
tests run the ``empathy`` command in a subprocess (``empathy_cli``).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest

from empathy_anthropic.batch import MIN_POLL_INTERVAL, AnthropicBatchProvider
from empathy_anthropic.commands import wait as wait_cmd
from empathy_anthropic.settings import AnthropicSettings
from empathy_core import EmpathyConfig, LLMRequest, ProviderError
from empathy_testing.pytest_plugin import CliResult


@pytest.fixture
def home(tmp_path: Path, empathy_cache_dir: Path, fake_anthropic: Any) -> Path:
    return tmp_path


@pytest.fixture
def empathy_cmd(empathy_cli: Callable[..., CliResult], home: Path) -> Callable[..., CliResult]:
    """``empathy_cmd(*args)``: the ``empathy`` command in ``home``, aimed at the fake server."""

    def run(*args: str) -> CliResult:
        return empathy_cli(*args, cwd=home, timeout=120)

    return run


def failed(done: CliResult, code: int) -> str:
    """The one ``Error:`` line of a command that exited ``code`` without a traceback."""
    return done.error_line(code)


def write(home: Path, text: str, name: str = "requests.json") -> str:
    (home / name).write_text(text, encoding="utf-8")
    return str(home / name)


def provider(**batch: float) -> AnthropicBatchProvider:
    config = EmpathyConfig()  # built in code, so not validated like a config file: any value
    for key, value in batch.items():
        setattr(config.batch, key, value)
    return AnthropicBatchProvider(config, AnthropicSettings(max_retries=0), record_usage=lambda r: None)


# -- ids -------------------------------------------------------------------------------------------


def test_a_custom_id_with_a_trailing_newline_is_refused(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    path = write(home, json.dumps([{"custom_id": "task_1\n", "prompt": "Summarise."}]))
    error = failed(empathy_cmd("batch", "submit", path), 2)
    assert "'custom_id' 'task_1\\n' is invalid" in error
    assert fake_anthropic.received() == []


def test_the_provider_matches_custom_ids_whole(fake_anthropic: Any) -> None:
    with pytest.raises(ProviderError, match=r"invalid batch custom_id 'a\\n'") as err:
        asyncio.run(provider().submit({"a\n": LLMRequest.from_text("x")}))
    assert err.value.exit_code == 2 and fake_anthropic.received() == []


@pytest.mark.parametrize("command", ["status", "cancel"])
def test_a_batch_id_with_a_trailing_newline_is_refused(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any, command: str
) -> None:
    error = failed(empathy_cmd("batch", command, "msgbatch_abc\n"), 2)
    assert "invalid batch id 'msgbatch_abc\\n'" in error
    assert fake_anthropic.received() == []


@pytest.mark.parametrize("batch_id", ["msgbatch_abc\n", "a/b", "", "x" * 129])
def test_the_provider_matches_batch_ids_whole(fake_anthropic: Any, batch_id: str) -> None:
    batches = provider()
    for call in (batches.status, batches.cancel, batches.results):
        with pytest.raises(ProviderError, match="invalid batch id") as err:
            asyncio.run(call(batch_id))
        assert err.value.exit_code == 2
    assert fake_anthropic.received() == []


# -- text that cannot be sent, files that cannot be parsed -----------------------------------------


def test_a_lone_surrogate_in_a_prompt_names_the_request(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    requests = (
        '[{"custom_id": "fine", "prompt": "ok"}, {"custom_id": "broken", "prompt": "bad \\ud800 text"}]'
    )
    error = failed(empathy_cmd("batch", "submit", write(home, requests)), 2)
    assert error.startswith("Error: batch request 'broken': messages[0].content is not valid Unicode text")
    assert "lone surrogate '\\ud800' at character 4" in error
    assert fake_anthropic.received() == []


def test_a_lone_surrogate_in_a_system_prompt_is_refused_by_the_provider(fake_anthropic: Any) -> None:
    request = LLMRequest.from_text("fine", system="sys \udfff")
    with pytest.raises(ProviderError, match=r"batch request 'a': system\[0\]\.text is not valid Unicode"):
        asyncio.run(provider().submit({"a": request}))
    assert fake_anthropic.received() == []


def test_deeply_nested_json_is_a_clear_error(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    error = failed(empathy_cmd("batch", "submit", write(home, "[" * 200_000 + "]" * 200_000)), 2)
    assert "requests.json" in error and "nested too deeply" in error
    assert fake_anthropic.received() == []


# -- polling ---------------------------------------------------------------------------------------


def test_a_zero_poll_interval_still_polls_at_most_once_a_second(fake_anthropic: Any) -> None:
    fake_anthropic.batches.polls_to_end = 1000
    batches = provider(poll_interval=0.0, timeout=0.5)

    async def scenario() -> None:
        batch_id = await batches.submit({"a": LLMRequest.from_text("x")})
        await batches.wait(batch_id)

    with pytest.raises(ProviderError, match=r"did not end within 0\.5 s"):
        asyncio.run(scenario())
    assert len([r for r in fake_anthropic.received() if r.method == "GET"]) == 1


@pytest.mark.parametrize("interval", [0.0, -5.0, float("nan")])
def test_polls_are_at_least_the_floor_apart(fake_anthropic: Any, interval: float) -> None:
    batches = provider(timeout=30.0)

    async def scenario() -> float:
        batch_id = await batches.submit({"a": LLMRequest.from_text("x")})
        started = time.monotonic()
        await batches.wait(batch_id, poll_interval=interval)
        return time.monotonic() - started

    assert asyncio.run(scenario()) >= MIN_POLL_INTERVAL * 0.95
    assert len([r for r in fake_anthropic.received() if r.method == "GET"]) == 2


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0])
def test_a_timeout_that_is_not_a_finite_number_is_refused_before_polling(
    fake_anthropic: Any, timeout: float
) -> None:
    with pytest.raises(ProviderError, match="batch timeout must be a finite number") as err:
        asyncio.run(provider().wait("msgbatch_abc", timeout=timeout))
    assert err.value.exit_code == 2 and fake_anthropic.received() == []


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        (
            "--poll-interval",
            "nan",
            "Error: --poll-interval: must be more than 0 and at most 3600 seconds, got nan",
        ),
        (
            "--poll-interval",
            "0",
            "Error: --poll-interval: must be more than 0 and at most 3600 seconds, got 0",
        ),
        ("--timeout", "inf", "Error: --timeout: must be between 0 and 604800 seconds, got inf"),
        ("--timeout", "1e9", "Error: --timeout: must be between 0 and 604800 seconds, got 1e9"),
    ],
)
def test_wait_options_are_finite_and_bounded(
    home: Path,
    empathy_cmd: Callable[..., CliResult],
    fake_anthropic: Any,
    option: str,
    value: str,
    message: str,
) -> None:
    assert failed(empathy_cmd("batch", "wait", "msgbatch_abc", "out.json", option, value), 2) == message
    assert fake_anthropic.received() == [] and not (home / "out.json").exists()


def test_wait_numeric_options_parse_to_bounded_finite_values_or_exit_2() -> None:
    hypothesis = pytest.importorskip("hypothesis")
    st = pytest.importorskip("hypothesis.strategies")
    values = st.one_of(
        st.text(max_size=30),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.sampled_from(["nan", "inf", "-inf", "1e999", "0", "3600", "3600.5", "604800", "9" * 5000]),
    )

    @hypothesis.settings(max_examples=100, deadline=None)
    @hypothesis.given(option=st.sampled_from(["--poll-interval", "--timeout"]), value=values)
    def check(option: str, value: str) -> None:
        try:
            ctx = wait_cmd.make_context("wait", [f"{option}={value}", "msgbatch_abc", "out.json"])
        except click.UsageError as exc:
            assert exc.exit_code == 2 and exc.format_message().startswith(f"{option}: ")
            return
        parsed = ctx.params[option.lstrip("-").replace("-", "_")]
        assert isinstance(parsed, float) and math.isfinite(parsed) and 0 <= parsed <= 604_800

    check()


# -- request timeouts ------------------------------------------------------------------------------


def test_default_timeouts_suit_an_interactive_command(fake_anthropic: Any) -> None:
    settings = AnthropicSettings()
    assert (settings.timeout, settings.connect_timeout) == (60.0, 10.0)
    batches = AnthropicBatchProvider(EmpathyConfig(), settings, record_usage=lambda r: None)

    async def timeout() -> Any:
        return (await batches._clients.get()).timeout

    used = asyncio.run(timeout())
    assert (used.read, used.connect) == (60.0, 10.0)


def settings_file(home: Path, **settings: object) -> None:
    body = "".join(f"      {key}: {value}\n" for key, value in settings.items())
    (home / "empathy.config.yml").write_text(f"plugins:\n  settings:\n    empathy-anthropic:\n{body}")


def test_a_stalled_api_gives_up_after_the_configured_timeout(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any
) -> None:
    settings_file(home, timeout=0.3, connect_timeout=2, max_retries=1)
    fake_anthropic.latency = 5.0
    started = time.monotonic()
    error = failed(empathy_cmd("batch", "status", "msgbatch_abc"), 1)
    assert time.monotonic() - started < 4.5
    assert (
        "timed out on messages.batches.retrieve after 1 retries (0.3 s per attempt, 2 s to connect" in error
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [("timeout", ".nan"), ("timeout", ".inf"), ("timeout", "0"), ("connect_timeout", "7200")],
)
def test_timeouts_that_are_not_finite_and_bounded_are_config_errors(
    home: Path, empathy_cmd: Callable[..., CliResult], fake_anthropic: Any, key: str, value: str
) -> None:
    settings_file(home, **{key: value})
    error = failed(empathy_cmd("batch", "status", "msgbatch_abc"), 2)
    assert key in error and "at most 3600" in error
    assert fake_anthropic.received() == []
