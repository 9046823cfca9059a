"""The fake Anthropic server's tokenizer and prompt layout.

Not Anthropic's tokenizer: a deterministic approximation of about four characters per
token. Text splits into word pieces (``\\w+``) and single punctuation marks; a word
piece costs ``ceil(len / 4)`` tokens, a punctuation mark one token, whitespace nothing.
Non-text blocks (images, tool use, tool results) and tool definitions are counted as
their canonical JSON. Every message adds :data:`MESSAGE_OVERHEAD` tokens for its role
framing. The same count feeds ``usage`` and ``count_tokens``, so they always agree.

A prompt is laid out the way Anthropic caches it: tools, then system, then messages;
each block is a :class:`Segment` whose ``prefix_key`` identifies everything up to and
including it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

import attrs

MESSAGE_OVERHEAD = 3
_PIECE = re.compile(r"\w+|[^\w\s]")


def canonical_json(value: Any) -> str:
    """Stable JSON text of ``value`` (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _piece_tokens(piece: str) -> int:
    return -(-len(piece) // 4) if piece[0].isalnum() or piece[0] == "_" else 1


def count_text_tokens(text: str) -> int:
    """Tokens of ``text`` under the fake tokenizer."""
    return sum(_piece_tokens(m.group()) for m in _PIECE.finditer(text))


def truncate_to_tokens(text: str, limit: int) -> tuple[str, bool]:
    """``text`` cut after the last piece that fits in ``limit`` tokens; True when cut."""
    used = 0
    end = 0
    for match in _PIECE.finditer(text):
        used += _piece_tokens(match.group())
        if used > limit:
            return text[:end], True
        end = match.end()
    return text, False


@attrs.frozen
class Segment:
    """One cacheable unit of a prompt: a tool, a system block or a message block."""

    tokens: int
    prefix_key: str
    cache_control: dict[str, Any] | None = None


def _without_cache_control(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if k != "cache_control"}


def _block_tokens(block: dict[str, Any]) -> int:
    if block.get("type") == "text" and isinstance(block.get("text"), str):
        return count_text_tokens(block["text"])
    return count_text_tokens(canonical_json(_without_cache_control(block)))


def _as_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _units(params: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], int]]:
    """(section, block, tokens) in cache order: tools, system, messages."""
    for tool in params.get("tools") or []:
        if isinstance(tool, dict):
            yield "tools", tool, count_text_tokens(canonical_json(_without_cache_control(tool)))
    for block in _as_blocks(params.get("system") or []):
        yield "system", block, _block_tokens(block)
    for message in params.get("messages") or []:
        role = message.get("role", "") if isinstance(message, dict) else ""
        blocks = _as_blocks(message.get("content")) if isinstance(message, dict) else []
        for i, block in enumerate(blocks):
            overhead = MESSAGE_OVERHEAD if i == 0 else 0
            yield f"messages:{role}", block, _block_tokens(block) + overhead
        if not blocks:
            yield f"messages:{role}", {}, MESSAGE_OVERHEAD


def prompt_segments(params: dict[str, Any]) -> list[Segment]:
    """The prompt of a Messages request as segments, in cache order.

    A top-level ``cache_control`` (automatic caching) marks the last segment, unless that
    segment carries its own.
    """
    digest = hashlib.sha256(canonical_json(params.get("model", "")).encode())
    segments = []
    for section, block, tokens in _units(params):
        digest.update(canonical_json([section, _without_cache_control(block)]).encode())
        control = block.get("cache_control")
        segments.append(
            Segment(
                tokens=tokens,
                prefix_key=digest.copy().hexdigest(),
                cache_control=control if isinstance(control, dict) else None,
            )
        )
    automatic = params.get("cache_control")
    if isinstance(automatic, dict) and segments and segments[-1].cache_control is None:
        segments[-1] = attrs.evolve(segments[-1], cache_control=automatic)
    return segments


def count_prompt_tokens(params: dict[str, Any]) -> int:
    """All input tokens of a Messages request (what ``count_tokens`` answers)."""
    return sum(s.tokens for s in prompt_segments(params))
