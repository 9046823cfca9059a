"""The fake Anthropic server, driven by the real ``anthropic`` SDK."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from empathy_testing.fake_anthropic import (
    DISCONNECT,
    FAKE_API_KEY,
    FakeAnthropicServer,
    fake_anthropic_server,
)
from empathy_testing.fake_cache import DEFAULT_CACHE_MINIMUM
from empathy_testing.fake_messages import FAKE_ERROR_MARKER
from empathy_testing.fake_tokens import MESSAGE_OVERHEAD, count_text_tokens

MODEL = "claude-sonnet-4-6"
LONG_TEXT = "alpha beta gamma delta " * 400  # 2800 tokens under the fake tokenizer (2+1+2+2 a line)


@pytest.fixture
def server() -> Iterator[FakeAnthropicServer]:
    with fake_anthropic_server() as srv:
        yield srv


@pytest.fixture
def client(server: FakeAnthropicServer) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=server.url, max_retries=0)


def ask(client: anthropic.Anthropic, text: str = "hello there", **kwargs: Any) -> Any:
    params: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 200,
        "messages": [{"role": "user", "content": text}],
    }
    params.update(kwargs)
    return client.messages.create(**params)


def raw_request(
    server: FakeAnthropicServer, method: str, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, dict[str, str], Any]:
    host, port = server.url.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        return response.status, dict(response.getheaders()), json.loads(payload)
    finally:
        conn.close()


def cached_system(text: str = LONG_TEXT, ttl: str | None = None) -> list[dict[str, Any]]:
    control: dict[str, Any] = {"type": "ephemeral"}
    if ttl:
        control["ttl"] = ttl
    return [{"type": "text", "text": text, "cache_control": control}]


# -- messages ------------------------------------------------------------------------------


def test_reply_is_deterministic_and_usage_matches_the_tokenizer(client: anthropic.Anthropic) -> None:
    first = ask(client, "What is the capital of France?")
    again = ask(client, "What is the capital of France?")
    other = ask(client, "What is the capital of Spain?")

    assert first.id.startswith("msg_") and first.id != again.id
    assert first.content[0].text == again.content[0].text != other.content[0].text
    assert "What is the capital of France?" in first.content[0].text
    assert first._request_id and first._request_id.startswith("req_")
    assert first.stop_reason == "end_turn"
    usage = first.usage
    assert usage.input_tokens == count_text_tokens("What is the capital of France?") + MESSAGE_OVERHEAD
    assert usage.output_tokens == count_text_tokens(first.content[0].text)
    assert usage.cache_creation_input_tokens == usage.cache_read_input_tokens == 0
    assert usage.cache_creation is not None and usage.cache_creation.ephemeral_5m_input_tokens == 0
    assert usage.service_tier == "standard"


def test_tokenizer_is_about_four_characters_per_token() -> None:
    assert count_text_tokens("") == 0
    assert count_text_tokens("abcd") == 1
    assert count_text_tokens("abcde") == 2
    assert count_text_tokens("hi, you!") == 4
    assert count_text_tokens(LONG_TEXT) == 2800


def test_reply_is_cut_at_max_tokens(client: anthropic.Anthropic) -> None:
    message = ask(client, "one two three four five six seven", max_tokens=4)
    assert message.stop_reason == "max_tokens"
    assert message.usage.output_tokens <= 4
    assert message.content[0].text == "Fake reply"


def test_responder_replaces_the_reply_text() -> None:
    with fake_anthropic_server(responder=lambda params: '{"score": 7}') as srv:
        client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=srv.url, max_retries=0)
        assert ask(client).content[0].text == '{"score": 7}'


def test_count_tokens_equals_the_input_side_of_usage(client: anthropic.Anthropic) -> None:
    system = cached_system()
    tools = [{"name": "lookup", "description": "find a word", "input_schema": {"type": "object"}}]
    messages = [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": [{"type": "text", "text": "second question"}]},
    ]
    counted = client.messages.count_tokens(model=MODEL, system=system, tools=tools, messages=messages)
    usage = client.messages.create(
        model=MODEL, max_tokens=50, system=system, tools=tools, messages=messages
    ).usage
    total = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    assert counted.input_tokens == total
    assert usage.cache_creation_input_tokens > 0


def test_invalid_requests_are_400_invalid_request_error(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(model=MODEL, max_tokens=10, messages=[])
    assert err.value.type == "invalid_request_error"
    assert "messages" in (err.value.api_message or "")
    with pytest.raises(anthropic.BadRequestError, match="fake error requested"):
        ask(client, f"please fail {FAKE_ERROR_MARKER}")


# -- authentication and headers -------------------------------------------------------------


def test_rejected_key_is_401_authentication_error() -> None:
    with fake_anthropic_server(rejected_keys={"sk-ant-revoked"}) as srv:
        client = anthropic.Anthropic(api_key="sk-ant-revoked", base_url=srv.url, max_retries=0)
        with pytest.raises(anthropic.AuthenticationError) as err:
            ask(client)
    assert err.value.status_code == 401
    assert err.value.type == "authentication_error"
    assert err.value.request_id and err.value.request_id.startswith("req_")


def test_missing_key_and_missing_version_are_rejected(server: FakeAnthropicServer) -> None:
    body = json.dumps(
        {"model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}
    ).encode()
    status, headers, payload = raw_request(
        server, "POST", "/v1/messages", body, {"anthropic-version": "2023-06-01"}
    )
    assert status == 401
    assert payload["type"] == "error" and payload["error"]["type"] == "authentication_error"
    assert headers["request-id"] == payload["request_id"]

    status, _, payload = raw_request(server, "POST", "/v1/messages", body, {"x-api-key": "k"})
    assert status == 400 and "anthropic-version" in payload["error"]["message"]

    status, _, payload = raw_request(
        server, "POST", "/v1/messages", body, {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    )
    assert status == 200 and payload["type"] == "message"


def test_unknown_route_and_bad_json(server: FakeAnthropicServer) -> None:
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    status, _, payload = raw_request(server, "GET", "/v1/models/nothing", b"", headers)
    assert status == 404 and payload["error"]["type"] == "not_found_error"
    status, _, payload = raw_request(server, "POST", "/v1/messages", b"{not json", headers)
    assert status == 400 and "JSON" in payload["error"]["message"]


def test_requests_are_recorded_with_headers_and_body(
    server: FakeAnthropicServer, client: anthropic.Anthropic
) -> None:
    message = ask(client, "record me")
    [recorded] = server.received("/v1/messages")
    assert recorded.method == "POST" and recorded.status == 200
    assert recorded.body["messages"][0]["content"] == "record me"
    assert recorded.headers["Authorization"] == f"Bearer {FAKE_API_KEY}"
    assert recorded.request_id == message._request_id
    assert recorded.response["id"] == message.id
    assert recorded.response["usage"]["output_tokens"] == message.usage.output_tokens


# -- prompt cache ---------------------------------------------------------------------------


def test_cache_write_then_read_then_expiry(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    system_tokens = count_text_tokens(LONG_TEXT)
    question_tokens = count_text_tokens("q") + MESSAGE_OVERHEAD

    write = ask(client, "q", system=cached_system()).usage
    assert (write.cache_creation_input_tokens, write.cache_read_input_tokens) == (system_tokens, 0)
    assert write.cache_creation.ephemeral_5m_input_tokens == system_tokens
    assert write.input_tokens == question_tokens

    read = ask(client, "q", system=cached_system()).usage
    assert (read.cache_creation_input_tokens, read.cache_read_input_tokens) == (0, system_tokens)
    assert read.input_tokens == question_tokens

    server.advance_time(299)  # a read refreshed the 5-minute TTL
    assert ask(client, "q", system=cached_system()).usage.cache_read_input_tokens == system_tokens
    server.advance_time(301)
    expired = ask(client, "q", system=cached_system()).usage
    assert (expired.cache_creation_input_tokens, expired.cache_read_input_tokens) == (system_tokens, 0)


def test_one_hour_ttl_is_reported_separately(
    server: FakeAnthropicServer, client: anthropic.Anthropic
) -> None:
    usage = ask(client, "q", system=cached_system(ttl="1h")).usage
    assert usage.cache_creation.ephemeral_1h_input_tokens == count_text_tokens(LONG_TEXT)
    assert usage.cache_creation.ephemeral_5m_input_tokens == 0
    server.advance_time(1800)
    assert ask(client, "q", system=cached_system(ttl="1h")).usage.cache_read_input_tokens > 0


def test_mixed_ttls_split_writes_between_breakpoints(client: anthropic.Anthropic) -> None:
    second = "epsilon zeta " * 300
    system = [
        {"type": "text", "text": LONG_TEXT, "cache_control": {"type": "ephemeral", "ttl": "1h"}},
        {"type": "text", "text": second, "cache_control": {"type": "ephemeral"}},
    ]
    usage = ask(client, "q", system=system).usage
    assert usage.cache_creation.ephemeral_1h_input_tokens == count_text_tokens(LONG_TEXT)
    assert usage.cache_creation.ephemeral_5m_input_tokens == count_text_tokens(second)


def test_prefix_below_the_minimum_is_not_cached(client: anthropic.Anthropic) -> None:
    short = "tiny prompt " * 10
    usage = ask(client, "q", system=cached_system(short)).usage
    assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0
    assert usage.input_tokens == count_text_tokens(short) + count_text_tokens("q") + MESSAGE_OVERHEAD
    assert DEFAULT_CACHE_MINIMUM == 1024


def test_model_specific_minimum() -> None:
    with fake_anthropic_server(cache_minimums={"claude-haiku": 4096}) as srv:
        client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=srv.url, max_retries=0)
        haiku = ask(client, "q", model="claude-haiku-4-5", system=cached_system()).usage
        sonnet = ask(client, "q", system=cached_system()).usage
    assert haiku.cache_creation_input_tokens == 0
    assert sonnet.cache_creation_input_tokens == count_text_tokens(LONG_TEXT)


def test_growing_conversation_reads_the_earlier_prefix(client: anthropic.Anthropic) -> None:
    turn1 = [
        {
            "role": "user",
            "content": [{"type": "text", "text": LONG_TEXT, "cache_control": {"type": "ephemeral"}}],
        }
    ]
    first = ask(client, messages=turn1).usage
    turn2 = [
        {"role": "user", "content": [{"type": "text", "text": LONG_TEXT}]},
        {"role": "assistant", "content": "ok"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "more", "cache_control": {"type": "ephemeral"}}],
        },
    ]
    second = ask(client, messages=turn2).usage
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == (
        count_text_tokens("ok") + count_text_tokens("more") + 2 * MESSAGE_OVERHEAD
    )
    assert second.input_tokens == 0


def test_top_level_cache_control_marks_the_last_block(client: anthropic.Anthropic) -> None:
    messages = [{"role": "user", "content": LONG_TEXT}]
    first = ask(client, messages=messages, cache_control={"type": "ephemeral"}).usage
    second = ask(client, messages=messages, cache_control={"type": "ephemeral"}).usage
    assert first.cache_creation_input_tokens == count_text_tokens(LONG_TEXT) + MESSAGE_OVERHEAD
    assert first.input_tokens == 0
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens


def test_cache_is_scoped_by_api_key(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    ask(client, "q", system=cached_system())
    other = anthropic.Anthropic(api_key="sk-ant-other", base_url=server.url, max_retries=0)
    usage = ask(other, "q", system=cached_system()).usage
    assert usage.cache_read_input_tokens == 0 and usage.cache_creation_input_tokens > 0


def test_cache_control_rules_are_enforced(client: anthropic.Anthropic) -> None:
    block = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
    with pytest.raises(anthropic.BadRequestError, match="maximum of 4"):
        ask(client, system=[dict(block) for _ in range(5)])
    late_hour = [block, {"type": "text", "text": "y", "cache_control": {"type": "ephemeral", "ttl": "1h"}}]
    with pytest.raises(anthropic.BadRequestError, match="1h"):
        ask(client, system=late_hour)
    with pytest.raises(anthropic.BadRequestError, match="ttl"):
        ask(
            client,
            system=[{"type": "text", "text": "x", "cache_control": {"type": "ephemeral", "ttl": "2h"}}],
        )


def test_tool_definitions_are_cacheable(client: anthropic.Anthropic) -> None:
    tools = [
        {
            "name": "lookup",
            "description": LONG_TEXT,
            "input_schema": {"type": "object"},
            "cache_control": {"type": "ephemeral"},
        }
    ]
    first = ask(client, "q", tools=tools).usage
    second = ask(client, "q", tools=tools).usage
    assert first.cache_creation_input_tokens > count_text_tokens(LONG_TEXT)
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens


# -- faults ---------------------------------------------------------------------------------


def test_overloaded_once_then_success(server: FakeAnthropicServer) -> None:
    server.fail_next(529, retry_after=0.01)
    client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=server.url, max_retries=2)
    assert ask(client).content[0].text.startswith("Fake reply")
    statuses = [r.status for r in server.received("/v1/messages")]
    retries = [r.headers["x-stainless-retry-count"] for r in server.received("/v1/messages")]
    assert statuses == [529, 200] and retries == ["0", "1"]


def test_server_error_forever_exhausts_retries(server: FakeAnthropicServer) -> None:
    server.fail_always(500, retry_after=0.01)
    client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=server.url, max_retries=2)
    with pytest.raises(anthropic.InternalServerError) as err:
        ask(client)
    assert err.value.type == "api_error"
    assert len(server.received("/v1/messages")) == 3
    server.clear_faults()
    assert ask(client).stop_reason == "end_turn"


def test_rate_limit_carries_retry_after(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    server.fail_next(429)
    with pytest.raises(anthropic.RateLimitError) as err:
        ask(client)
    assert err.value.response.headers["retry-after"] == "1"
    assert err.value.type == "rate_limit_error"
    server.fail_next(429, retry_after=0.25)
    with pytest.raises(anthropic.RateLimitError) as err:
        ask(client)
    assert err.value.response.headers["retry-after"] == "0.25"


def test_overloaded_error_shape(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    server.fail_next(529)
    with pytest.raises(anthropic.APIStatusError) as err:
        ask(client)
    assert err.value.status_code == 529 and err.value.type == "overloaded_error"
    [recorded] = server.received("/v1/messages")
    assert err.value.request_id == recorded.request_id == err.value.body["request_id"]


def test_faults_can_target_a_path(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    server.fail_next(500, path="/v1/messages/count_tokens")
    assert ask(client).stop_reason == "end_turn"
    with pytest.raises(anthropic.InternalServerError):
        client.messages.count_tokens(model=MODEL, messages=[{"role": "user", "content": "x"}])


def test_disconnect_is_a_connection_error(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    server.fail_next(DISCONNECT)
    with pytest.raises(anthropic.APIConnectionError):
        ask(client)
    assert ask(client).stop_reason == "end_turn"


def test_latency_beyond_the_client_timeout_is_a_timeout(server: FakeAnthropicServer) -> None:
    server.latency = 0.5
    client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=server.url, max_retries=0, timeout=0.1)
    with pytest.raises(anthropic.APITimeoutError):
        ask(client)


def test_arrivals_are_counted_before_the_latency(server: FakeAnthropicServer) -> None:
    server.latency = 0.5
    client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=server.url, max_retries=0, timeout=0.1)
    assert server.arrived == 0 and not server.wait_for_arrivals(1, timeout=0.01)
    with pytest.raises(anthropic.APITimeoutError):
        ask(client)
    assert server.wait_for_arrivals(1, timeout=5) and server.arrived == 1
    assert not server.wait_for_arrivals(2, timeout=0.01)
    server.reset()
    assert server.arrived == 0


# -- batches --------------------------------------------------------------------------------


def batch_request(custom_id: str, text: str = "hello") -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "params": {"model": MODEL, "max_tokens": 50, "messages": [{"role": "user", "content": text}]},
    }


def test_batch_round_trip_with_every_result_type(
    server: FakeAnthropicServer, client: anthropic.Anthropic
) -> None:
    server.batches.error_ids.add("configured-error")
    server.batches.expired_ids.add("late")
    requests = [
        batch_request("ok-1", "first"),
        batch_request("ok-2", "second"),
        batch_request("marker-error", f"boom {FAKE_ERROR_MARKER}"),
        batch_request("configured-error"),
        batch_request("late"),
    ]
    created = client.messages.batches.create(requests=requests)
    assert created.id.startswith("msgbatch_") and created.type == "message_batch"
    assert created.processing_status == "in_progress" and created.results_url is None
    assert created.request_counts.processing == 5 and created.request_counts.succeeded == 0

    polled = client.messages.batches.retrieve(created.id)
    assert polled.processing_status == "in_progress"
    ended = client.messages.batches.retrieve(created.id)
    assert ended.processing_status == "ended" and ended.ended_at is not None
    counts = ended.request_counts
    assert (counts.processing, counts.succeeded, counts.errored, counts.expired, counts.canceled) == (
        0,
        2,
        2,
        1,
        0,
    )
    assert ended.results_url and ended.results_url.endswith(f"/v1/messages/batches/{created.id}/results")

    results = {line.custom_id: line.result for line in client.messages.batches.results(created.id)}
    assert {k: r.type for k, r in results.items()} == {
        "ok-1": "succeeded",
        "ok-2": "succeeded",
        "marker-error": "errored",
        "configured-error": "errored",
        "late": "expired",
    }
    message = results["ok-1"].message
    assert message.usage.service_tier == "batch"
    assert message.content[0].text == ask(client, "first", max_tokens=50).content[0].text
    assert results["configured-error"].error.error.type == "invalid_request_error"


def test_batch_cancel_cancels_every_request(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    created = client.messages.batches.create(requests=[batch_request("a"), batch_request("b")])
    canceling = client.messages.batches.cancel(created.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    ended = client.messages.batches.retrieve(created.id)
    assert ended.processing_status == "ended" and ended.request_counts.canceled == 2
    assert [r.result.type for r in client.messages.batches.results(created.id)] == ["canceled", "canceled"]
    with pytest.raises(anthropic.BadRequestError, match="already ended"):
        client.messages.batches.cancel(created.id)


def test_batch_delay_follows_the_server_clock() -> None:
    with fake_anthropic_server(batch_polls_to_end=0, batch_delay=60.0) as srv:
        client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=srv.url, max_retries=0)
        created = client.messages.batches.create(requests=[batch_request("a")])
        assert client.messages.batches.retrieve(created.id).processing_status == "in_progress"
        srv.advance_time(61)
        assert client.messages.batches.retrieve(created.id).processing_status == "ended"


def test_batch_results_before_the_end_are_404(
    server: FakeAnthropicServer, client: anthropic.Anthropic
) -> None:
    created = client.messages.batches.create(requests=[batch_request("a")])
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    status, _, payload = raw_request(
        server, "GET", f"/v1/messages/batches/{created.id}/results", b"", headers
    )
    assert status == 404 and payload["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve("msgbatch_unknown")


def test_batch_validation(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="not unique"):
        client.messages.batches.create(requests=[batch_request("a"), batch_request("a")])
    with pytest.raises(anthropic.BadRequestError, match="custom_id"):
        client.messages.batches.create(requests=[batch_request("bad id!")])
    bad = batch_request("a")
    del bad["params"]["max_tokens"]
    with pytest.raises(anthropic.BadRequestError, match=r"requests\.0\.params"):
        client.messages.batches.create(requests=[bad])


def test_batch_list_paginates_most_recent_first(client: anthropic.Anthropic) -> None:
    ids = [client.messages.batches.create(requests=[batch_request("a")]).id for _ in range(5)]
    first_page = client.messages.batches.list(limit=2)
    assert [b.id for b in first_page.data] == ids[::-1][:2]
    assert first_page.has_more is True
    assert [b.id for b in client.messages.batches.list(limit=2)] == ids[::-1]  # auto-pagination


def test_batch_delete_only_after_the_end(client: anthropic.Anthropic) -> None:
    created = client.messages.batches.create(requests=[batch_request("a")])
    with pytest.raises(anthropic.BadRequestError, match="still processing"):
        client.messages.batches.delete(created.id)
    client.messages.batches.cancel(created.id)
    client.messages.batches.retrieve(created.id)
    assert client.messages.batches.delete(created.id).type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(created.id)


# -- concurrency and lifecycle --------------------------------------------------------------


def test_async_client_with_fifty_concurrent_calls(server: FakeAnthropicServer) -> None:
    async def run() -> list[Any]:
        async with anthropic.AsyncAnthropic(
            api_key=FAKE_API_KEY, base_url=server.url, max_retries=0
        ) as client:
            calls = [
                client.messages.create(
                    model=MODEL, max_tokens=50, messages=[{"role": "user", "content": f"question {i}"}]
                )
                for i in range(50)
            ]
            return await asyncio.gather(*calls)

    messages = asyncio.run(run())
    assert len({m.id for m in messages}) == 50
    assert all(f"question {i}" in m.content[0].text for i, m in enumerate(messages))
    assert len(server.received("/v1/messages")) == 50


def test_reset_forgets_state(server: FakeAnthropicServer, client: anthropic.Anthropic) -> None:
    ask(client, "q", system=cached_system())
    server.fail_always(500)
    server.reset()
    assert server.received() == []
    assert ask(client, "q", system=cached_system()).usage.cache_creation_input_tokens > 0


def test_stop_closes_keep_alive_connections_and_url_needs_a_started_server() -> None:
    srv = FakeAnthropicServer().start()
    assert srv.env() == {"ANTHROPIC_BASE_URL": srv.url, "ANTHROPIC_API_KEY": FAKE_API_KEY}
    client = anthropic.Anthropic(api_key=FAKE_API_KEY, base_url=srv.url, max_retries=0)
    ask(client)
    srv.stop()
    with pytest.raises(anthropic.APIConnectionError):
        ask(client)
    with pytest.raises(RuntimeError, match="not started"):
        _ = srv.url
