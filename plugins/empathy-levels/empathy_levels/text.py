"""Reading a model's reply: questions, bullet lines, scored bullet lines."""

from __future__ import annotations

import re

_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(?P<text>.+?)\s*$")
_SCORED = re.compile(r"^\[(?P<score>[01](?:\.\d+)?)\]\s*(?P<text>.+)$")
MAX_ITEMS = 8


def bullets(reply: str) -> list[str]:
    """The text of each bullet line (``- x``, ``* x``, ``1. x``), at most :data:`MAX_ITEMS`."""
    found = [m.group("text") for m in map(_BULLET.match, reply.splitlines()) if m]
    return found[:MAX_ITEMS]


def questions(reply: str) -> list[str]:
    """Lines (bullets or not) that are questions."""
    lines = [(_BULLET.match(line) or _plain(line)) for line in reply.splitlines()]
    found = [m.group("text").strip() for m in lines if m and m.group("text").strip().endswith("?")]
    return found[:MAX_ITEMS]


def scored(reply: str) -> list[tuple[float, str]]:
    """Bullet lines written ``- [0.8] text``: ``(0.8, "text")``."""
    found = []
    for item in bullets(reply):
        match = _SCORED.match(item)
        if match and float(match.group("score")) <= 1:
            found.append((float(match.group("score")), match.group("text").strip()))
    return found


def _plain(line: str) -> re.Match[str] | None:
    return re.match(r"^\s*(?P<text>.+?)\s*$", line)


def unique(items: list[str]) -> list[str]:
    """``items`` without repeats (case-insensitive), in order."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.lower() not in seen:
            seen.add(item.lower())
            kept.append(item)
    return kept
