"""Between ``LLMRequest``/``LLMResponse`` and the Messages API's JSON (no SDK import).

The stable prefix (``system`` then ``cached_context``) becomes the ``system`` blocks; with
``request.cache_prefix`` the last of them carries ``cache_control`` so that Anthropic
caches the whole prefix. ``metadata`` stays inside the framework. ``temperature`` is
forwarded as a body field (the SDK 2.x has no keyword for it); a model that does not
accept it answers 400. Text that cannot be sent as UTF-8 (a lone surrogate, e.g. from a
``"\\ud800"`` escape in JSON) is refused before anything is sent.
"""

from __future__ import annotations

import re
from typing import Any

from empathy_core import LLMRequest, ProviderError, Usage, shorten

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 3
# Body fields the SDK (2.x) has no keyword for: sent through ``extra_body``.
EXTRA_BODY_FIELDS = ("temperature",)
_SURROGATE = re.compile("[\ud800-\udfff]")


def effective_ttl(request: LLMRequest, default_ttl: str) -> str:
    """``"1h"`` when the request or the settings ask for it, else ``"5m"``."""
    return "1h" if "1h" in (request.cache_ttl, default_ttl) else "5m"


def system_blocks(request: LLMRequest, ttl: str) -> list[dict[str, Any]]:
    """``system`` then ``cached_context`` as text blocks; the last one marked cacheable."""
    blocks: list[dict[str, Any]] = [
        {"type": "text", "text": text} for text in (request.system, request.cached_context) if text
    ]
    if request.cache_prefix and blocks:
        control = {"type": "ephemeral", "ttl": "1h"} if ttl == "1h" else {"type": "ephemeral"}
        blocks[-1]["cache_control"] = control
    return blocks


def prompt_params(request: LLMRequest, model: str, ttl: str, *, name: str = "the request") -> dict[str, Any]:
    """The prompt part of a request: ``model``, ``system``, ``messages`` (what count_tokens takes).

    Text that is not valid Unicode is a ``ProviderError`` (exit code 2) naming ``name``
    and where the text is (:func:`check_encodable`), raised before anything is sent.
    """
    params: dict[str, Any] = {"model": model, "messages": request.messages}
    blocks = system_blocks(request, ttl)
    if blocks:
        params["system"] = blocks
    check_encodable(params, name)
    return params


def create_params(request: LLMRequest, model: str, ttl: str, *, name: str = "the request") -> dict[str, Any]:
    """The body of ``POST /v1/messages`` for ``request`` on ``model`` (checked like :func:`prompt_params`)."""
    params = prompt_params(request, model, ttl, name=name)
    params["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        params["temperature"] = request.temperature
    return params


def _invalid_text(data: Any) -> tuple[str, int, str] | None:
    """(where, index, character) of the first lone surrogate in the strings of ``data``."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            found = _SURROGATE.search(value)
            if found is not None:
                return where or "text", found.start(), found.group()
        elif isinstance(value, dict):
            stack.extend((f"{where}.{key}" if where else str(key), v) for key, v in reversed(value.items()))
        elif isinstance(value, list | tuple):
            stack.extend((f"{where}[{i}]", v) for i, v in reversed(list(enumerate(value))))
    return None


def check_encodable(params: dict[str, Any], name: str) -> None:
    """Refuse ``params`` whose text cannot be encoded as UTF-8: one ``ProviderError``, exit code 2."""
    found = _invalid_text(params)
    if found is not None:
        where, index, char = found
        raise ProviderError(
            f"{name}: {where} is not valid Unicode text: lone surrogate {shorten(char)} at "
            f"character {index}; nothing was sent",
            exit_code=2,
        )


def sdk_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """``params`` as keyword arguments of ``messages.create`` (extra fields in ``extra_body``)."""
    kwargs = {k: v for k, v in params.items() if k not in EXTRA_BODY_FIELDS}
    extra = {k: params[k] for k in EXTRA_BODY_FIELDS if k in params}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def usage_from(raw: Any) -> Usage:
    """Map the SDK's ``usage`` to :class:`Usage`, keeping cache writes split by TTL.

    Without a ``cache_creation`` breakdown (older API versions) every write is 5-minute.
    """
    creation = getattr(raw, "cache_creation", None)
    if creation is not None:
        write_5m = creation.ephemeral_5m_input_tokens or 0
        write_1h = creation.ephemeral_1h_input_tokens or 0
    else:
        write_5m, write_1h = raw.cache_creation_input_tokens or 0, 0
    return Usage(
        input_tokens=raw.input_tokens or 0,
        output_tokens=raw.output_tokens or 0,
        cache_write_5m_tokens=write_5m,
        cache_write_1h_tokens=write_1h,
        cache_read_tokens=raw.cache_read_input_tokens or 0,
    )


def reply_text(message: Any) -> str:
    """The text blocks of a ``Message``, joined."""
    return "".join(block.text for block in message.content if getattr(block, "type", "") == "text")


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(b.get("text", "") for b in content if isinstance(b, dict))
    return ""


def estimate_tokens(request: LLMRequest) -> int:
    """Offline input-token estimate: one token per started 4 characters of text, plus 3 a message.

    A rough figure for when no API key is set; with a key,
    ``AnthropicProvider.count_tokens`` asks the API for the exact count.
    """
    chars = len(request.system) + len(request.cached_context)
    chars += sum(len(_content_text(m.get("content"))) for m in request.messages)
    return -(-chars // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * len(request.messages)
