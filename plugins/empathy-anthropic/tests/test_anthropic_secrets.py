"""The API key never reaches a file, a log line, a repr, an exception or a usage record."""

from __future__ import annotations

import asyncio
import json
import logging
import traceback
import uuid
from pathlib import Path
from typing import Any

import pytest

from empathy_anthropic.batch import AnthropicBatchProvider
from empathy_core import Empathy, LLMRequest, ProviderError, load_config, to_dict
from empathy_testing.fake_anthropic import fake_anthropic_server


def _isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, canary: str) -> None:
    for name, sub in [
        ("HOME", "home"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "xdg-cache"),
        ("XDG_DATA_HOME", "data"),
        ("EMPATHY_CACHE_DIR", "cache"),
    ]:
        (tmp_path / sub).mkdir()
        monkeypatch.setenv(name, str(tmp_path / sub))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.delenv("EMPATHY_CONFIG", raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", canary)


def test_canary_key_never_leaks(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    collector: Any,
    run_call: Any,
    cached_request: Any,
) -> None:
    canary = f"sk-ant-canary-{uuid.uuid4().hex}"
    _isolate(tmp_path, monkeypatch, canary)
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    def failure(exc: BaseException) -> None:
        assert isinstance(exc, ProviderError) and exc.__context__ is None and exc.__cause__ is None
        seen.extend([str(exc), repr(exc), "".join(traceback.format_exception(exc))])

    with fake_anthropic_server() as server:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", server.url)
        config = load_config()
        assert config.api_key == canary
        empathy = Empathy(config, plugins=[collector], entry_points=True).configure()
        provider = empathy.provider("anthropic")
        batches = AnthropicBatchProvider(empathy=empathy)
        seen += [repr(provider), repr(provider.settings), repr(batches), repr(config), repr(empathy.config)]

        results = [run_call(empathy, LLMRequest.from_text("plain")), run_call(empathy, cached_request())]
        results.append(run_call(empathy, cached_request("again")))
        seen.append(str(asyncio.run(provider.count_tokens(cached_request()))))
        requests = {"ok": LLMRequest.from_text("x"), "bad": LLMRequest.from_text("[[fake-error]]")}
        config.batch.poll_interval = 0.01
        seen += [repr(r) for r in asyncio.run(batches.run(requests))]

        server.fail_next(529, retry_after=0.01)
        results.append(run_call(empathy, LLMRequest.from_text("retried")))
        server.fail_always(500, retry_after=0.01)
        results.append(run_call(empathy, LLMRequest.from_text("fails")))
        for call in (
            provider.complete(LLMRequest.from_text("x")),
            provider.count_tokens(LLMRequest.from_text("x")),
        ):
            with pytest.raises(ProviderError) as err:
                asyncio.run(call)
            failure(err.value)
        server.clear_faults()
        server.rejected_keys.add(canary)
        results.append(run_call(empathy, LLMRequest.from_text("rejected")))
        for call in (provider.complete(LLMRequest.from_text("x")), batches.submit(requests)):
            with pytest.raises(ProviderError, match="ANTHROPIC_API_KEY is missing or invalid") as err:
                asyncio.run(call)
            failure(err.value)
        empathy.close()  # flushes the batch's records too

        received = server.received()
    assert any(r.headers.get("Authorization") == f"Bearer {canary}" for r in received)
    assert [r.status for r, _ in results] == ["success"] * 4 + ["failed"] * 2

    seen += [repr(r) for r, _ in results]
    seen += [json.dumps(to_dict(record), default=str) for record in collector.records]
    # 3 plain and cached calls, 2 batch requests (1 errored), 529 then success (2 attempts),
    # 500 three times (the first attempt and 2 retries), 401 once (not retried)
    assert len(collector.records) == 11 and sum(not r.success for r in collector.records) == 6
    captured = capfd.readouterr()
    seen += [caplog.text, captured.out, captured.err]
    assert "request_id" in caplog.text or "HTTP Request" in caplog.text or caplog.records

    leaks = [text for text in seen if canary in text]
    assert leaks == []
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert [p for p in files if canary.encode() in p.read_bytes()] == []
