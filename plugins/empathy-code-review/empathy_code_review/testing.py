"""Test helpers for workflows built on this plugin: the fake Anthropic API, scripted.

Import the fixtures into a ``conftest.py`` (``from empathy_code_review.testing import
billed, on_anthropic, script``); they need the ``empathy-testing`` and
``empathy-anthropic`` plugins. ``script({"<words of a stage's system prompt>": reply})``
makes the fake server answer a request whose system prompt contains the words with
``reply`` (a dict is sent as JSON; a callable is called with the request body and its
answer used); other requests get the fake's default, non-JSON reply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from empathy_core import Usage


def user_text(params: Mapping[str, Any]) -> str:
    """The text of the last message of a request body."""
    content = params["messages"][-1]["content"]
    return content if isinstance(content, str) else "\n".join(b.get("text", "") for b in content)


def _system_text(params: Mapping[str, Any]) -> str:
    system = params.get("system") or ""
    if isinstance(system, str):
        return system
    return "\n".join(block.get("text", "") for block in system)


def scripted(fake: Any, replies: Mapping[str, Any]) -> None:
    """Answer requests whose system prompt contains a key of ``replies`` with its value."""
    from empathy_testing.fake_messages import default_reply

    def respond(params: dict[str, Any]) -> str:
        system = _system_text(params)
        for words, reply in replies.items():
            if words in system:
                answer = reply(params) if callable(reply) else reply
                return answer if isinstance(answer, str) else json.dumps(answer)
        return default_reply(params)

    fake.engine.responder = respond


@pytest.fixture
def script(fake_anthropic: Any) -> Callable[[Mapping[str, Any]], Any]:
    """``script(replies)``: scripted replies on the started fake server (returned)."""

    def set_replies(replies: Mapping[str, Any]) -> Any:
        scripted(fake_anthropic, replies)
        return fake_anthropic

    return set_replies


@pytest.fixture
def on_anthropic(empathy: Any, fake_anthropic: Any) -> Any:
    """The test runtime with the anthropic provider plugin, talking to the fake server."""
    import empathy_anthropic.plugin as anthropic_plugin

    empathy.plugins.append(anthropic_plugin)
    return empathy


@pytest.fixture
def billed(on_anthropic: Any, fake_anthropic: Any) -> Callable[[], float]:
    """``billed()``: the cost of every Messages call the fake answered, from its reported usage."""
    return lambda: billed_cost(on_anthropic.get().config.price_table(), fake_anthropic)


def billed_cost(table: Any, fake: Any) -> float:
    """The cost at ``table``'s prices of the usage the fake server reported for its answers."""
    total = 0.0
    for request in fake.received("/v1/messages"):
        if request.status != 200:
            continue
        usage = request.response["usage"]
        total += table.cost(
            request.response["model"],
            Usage(
                input_tokens=usage["input_tokens"],
                output_tokens=usage["output_tokens"],
                cache_write_5m_tokens=usage["cache_creation"]["ephemeral_5m_input_tokens"],
                cache_write_1h_tokens=usage["cache_creation"]["ephemeral_1h_input_tokens"],
                cache_read_tokens=usage["cache_read_input_tokens"],
            ),
        )
    return total
