"""The fake Messages API: request validation, deterministic replies, exact usage.

A reply is ``"Fake reply <digest>: <first words of the last user message>"`` where the
digest hashes model, system, tools and messages, so equal requests get equal replies.
It is cut to ``max_tokens`` (``stop_reason="max_tokens"``). A request whose last user
message contains :data:`FAKE_ERROR_MARKER` fails with ``400 invalid_request_error`` (in a
batch: an ``errored`` result).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any

import attrs

from empathy_testing.fake_cache import PromptCache
from empathy_testing.fake_errors import FakeAPIError
from empathy_testing.fake_tokens import (
    canonical_json,
    count_text_tokens,
    prompt_segments,
    truncate_to_tokens,
)

FAKE_ERROR_MARKER = "[[fake-error]]"
REPLY_WORDS = 24
Responder = Callable[[dict[str, Any]], str]


def new_id(prefix: str) -> str:
    """A random identifier in Anthropic's style (``msg_...``, ``req_...``)."""
    return f"{prefix}_{secrets.token_hex(12)}"


def _check_blocks(value: Any, where: str) -> None:
    if isinstance(value, str):
        return
    if not isinstance(value, list) or not all(isinstance(b, dict) and "type" in b for b in value):
        raise FakeAPIError(400, f"{where}: expected a string or a list of content blocks")


def validate_params(params: Any, *, require_max_tokens: bool = True) -> dict[str, Any]:
    """Check the shape of a Messages request body; returns it, raises ``FakeAPIError(400)``."""
    if not isinstance(params, dict):
        raise FakeAPIError(400, "request body must be a JSON object")
    if not isinstance(params.get("model"), str) or not params["model"]:
        raise FakeAPIError(400, "model: Field required")
    max_tokens = params.get("max_tokens")
    if require_max_tokens and (type(max_tokens) is not int or max_tokens < 1):
        raise FakeAPIError(400, "max_tokens: Field required (an integer >= 1)")
    messages = params.get("messages")
    if not isinstance(messages, list) or not messages:
        raise FakeAPIError(400, "messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
            raise FakeAPIError(400, f"messages.{i}.role: expected 'user' or 'assistant'")
        _check_blocks(message.get("content"), f"messages.{i}.content")
    if "system" in params:
        _check_blocks(params["system"], "system")
    if not isinstance(params.get("tools", []), list):
        raise FakeAPIError(400, "tools: expected a list")
    if params.get("stream"):
        raise FakeAPIError(400, "stream: the fake server answers non-streaming requests only")
    return params


def last_user_text(params: dict[str, Any]) -> str:
    """Text of the last user message (its text blocks joined by newlines)."""
    for message in reversed(params.get("messages") or []):
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        return "\n".join(b.get("text", "") for b in content if b.get("type") == "text")
    return ""


def default_reply(params: dict[str, Any]) -> str:
    """The deterministic reply text for ``params``."""
    key = [params.get(k) for k in ("model", "system", "tools", "messages")]
    digest = hashlib.sha256(canonical_json(key).encode()).hexdigest()[:12]
    words = last_user_text(params).split()[:REPLY_WORDS]
    return f"Fake reply {digest}: {' '.join(words)}".rstrip()


@attrs.define
class MessagesEngine:
    """Answers Messages requests against a shared :class:`PromptCache`.

    ``responder(params) -> str`` replaces the default reply text when set.
    """

    cache: PromptCache
    responder: Responder | None = None

    def count_tokens(self, params: Any) -> int:
        """Input tokens of ``params`` (all of them: plain, cacheable and cached)."""
        validate_params(params, require_max_tokens=False)
        return sum(s.tokens for s in prompt_segments(params))

    def create(self, params: Any, *, scope: str, service_tier: str = "standard") -> dict[str, Any]:
        """A ``message`` object for ``params``; updates the prompt cache of ``scope``."""
        validate_params(params)
        if FAKE_ERROR_MARKER in last_user_text(params):
            raise FakeAPIError(400, f"fake error requested by {FAKE_ERROR_MARKER} in the prompt")
        outcome = self.cache.apply(scope, params["model"], prompt_segments(params))
        reply = self.responder(params) if self.responder else default_reply(params)
        text, cut = truncate_to_tokens(reply, params["max_tokens"])
        return {
            "id": new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": params["model"],
            "content": [{"type": "text", "text": text}],
            "stop_reason": "max_tokens" if cut else "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": outcome.input_tokens,
                "output_tokens": count_text_tokens(text),
                "cache_creation_input_tokens": outcome.cache_write_5m + outcome.cache_write_1h,
                "cache_read_input_tokens": outcome.cache_read,
                "cache_creation": {
                    "ephemeral_5m_input_tokens": outcome.cache_write_5m,
                    "ephemeral_1h_input_tokens": outcome.cache_write_1h,
                },
                "service_tier": service_tier,
            },
        }
