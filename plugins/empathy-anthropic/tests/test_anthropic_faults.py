"""Failures of the provider called directly: the SDK retries, then one ProviderError naming
status and request id. (Through the runtime, the retry middleware retries instead: see
``test_anthropic_retries.py``.)"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest

from empathy_anthropic.client import MISSING_KEY
from empathy_core import EmpathyError, LLMRequest, ProviderError


def ask(provider: Any, text: str = "hello") -> Any:
    return asyncio.run(provider.complete(LLMRequest.from_text(text)))


def test_overloaded_once_is_retried_to_success(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.fail_next(529, retry_after=0.01)
    response = ask(make_provider(max_retries=2))
    sent = fake_anthropic.received("/v1/messages")
    assert [r.status for r in sent] == [529, 200]
    assert response.request_id == sent[-1].request_id


def test_rate_limit_retry_after_is_honoured(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.fail_next(429, retry_after=0.01, times=2)
    assert ask(make_provider(max_retries=2)).text
    assert [r.status for r in fake_anthropic.received("/v1/messages")] == [429, 429, 200]


def test_server_error_beyond_retries_is_one_provider_error(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.fail_always(500, retry_after=0.01)
    with pytest.raises(ProviderError) as err:
        ask(make_provider(max_retries=2))
    sent = fake_anthropic.received("/v1/messages")
    assert len(sent) == 3
    assert err.value.status == 500 and err.value.request_id == sent[-1].request_id
    message = str(err.value)
    assert "500 api_error" in message and "after 2 retries" in message and sent[-1].request_id in message
    assert err.value.__cause__ is None and isinstance(err.value, EmpathyError)


def test_rate_limit_beyond_retries(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.fail_always(429, retry_after=0.01)
    with pytest.raises(ProviderError, match="429 rate_limit_error") as err:
        ask(make_provider(max_retries=1))
    assert err.value.status == 429 and len(fake_anthropic.received()) == 2


def test_invalid_request_is_not_retried(make_provider: Any, fake_anthropic: Any) -> None:
    with pytest.raises(ProviderError) as err:
        ask(make_provider(max_retries=2), "break [[fake-error]]")
    assert err.value.status == 400 and "after" not in str(err.value)
    assert "invalid_request_error" in str(err.value) and len(fake_anthropic.received()) == 1


def test_rejected_key_is_401_with_the_key_hint(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.rejected_keys.add(fake_anthropic.env()["ANTHROPIC_API_KEY"])
    with pytest.raises(ProviderError) as err:
        ask(make_provider(max_retries=2))
    assert str(err.value).startswith(MISSING_KEY)
    assert err.value.status == 401 and err.value.request_id in str(err.value)
    assert len(fake_anthropic.received()) == 1


def test_missing_key_fails_before_any_request(
    make_provider: Any, fake_anthropic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    with pytest.raises(ProviderError, match="ANTHROPIC_API_KEY is missing or invalid"):
        ask(make_provider())
    assert fake_anthropic.received() == []


def test_timeout_after_retries(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.latency = 0.3
    with pytest.raises(ProviderError, match=r"timed out on messages\.create after 1 retries") as err:
        ask(make_provider(max_retries=1, timeout=0.05))
    assert err.value.status is None


def test_unreachable_endpoint(make_provider: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(ProviderError, match=f"cannot reach the Anthropic API at {url}"):
        ask(make_provider(base_url=url, max_retries=0))


def test_dropped_connection_is_retried(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.fail_next("disconnect")
    assert ask(make_provider(max_retries=1)).text
    assert [r.status for r in fake_anthropic.received("/v1/messages")] == [0, 200]


def test_count_tokens_errors_are_translated(make_provider: Any, fake_anthropic: Any) -> None:
    fake_anthropic.fail_always(529, retry_after=0.01)
    with pytest.raises(ProviderError, match=r"529 overloaded_error on messages\.count_tokens"):
        asyncio.run(make_provider().count_tokens(LLMRequest.from_text("x")))
