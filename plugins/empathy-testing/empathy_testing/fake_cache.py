"""Prompt-cache simulation of the fake Anthropic server.

Rules (a simplification of Anthropic's documented behaviour):

- Blocks carrying ``cache_control`` are breakpoints; at most four per request, TTL
  ``"5m"`` (default) or ``"1h"``, and a 1-hour breakpoint may not follow a 5-minute one.
- A breakpoint is cacheable when the prompt up to it holds at least the model's minimum
  (:data:`DEFAULT_CACHE_MINIMUM` tokens unless configured per model prefix).
- Read: the longest prefix already cached and unexpired, ending at a breakpoint or at
  one of the 20 blocks before a breakpoint, is read (``cache_read``); a read refreshes
  that entry's TTL.
- Write: every cacheable breakpoint after the read point is written; the tokens between
  the previous boundary and a breakpoint count as a write with that breakpoint's TTL.
- Everything after the last boundary is plain ``input_tokens``.

Entries are scoped by API key and model, and expire on the server's clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from empathy_testing.fake_errors import FakeAPIError
from empathy_testing.fake_tokens import Segment

DEFAULT_CACHE_MINIMUM = 1024
MAX_BREAKPOINTS = 4
LOOKBACK_BLOCKS = 20
TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}


@attrs.frozen
class CacheOutcome:
    """How a prompt's tokens split between plain input, cache writes and cache reads."""

    input_tokens: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0


def _ttl_of(control: Mapping[str, object]) -> str:
    kind = control.get("type")
    if kind != "ephemeral":
        raise FakeAPIError(400, f"cache_control.type must be 'ephemeral', got {kind!r}")
    ttl = control.get("ttl", "5m")
    if ttl not in TTL_SECONDS:
        raise FakeAPIError(400, f"cache_control.ttl must be '5m' or '1h', got {ttl!r}")
    return str(ttl)


def breakpoints(segments: list[Segment]) -> list[tuple[int, str]]:
    """(segment index, ttl) of every breakpoint; raises for invalid cache_control."""
    found = [(i, _ttl_of(s.cache_control)) for i, s in enumerate(segments) if s.cache_control]
    if len(found) > MAX_BREAKPOINTS:
        raise FakeAPIError(
            400,
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {len(found)}.",
        )
    ttls = [ttl for _, ttl in found]
    if "5m" in ttls and "1h" in ttls[ttls.index("5m") :]:
        raise FakeAPIError(400, "a ttl='1h' cache_control block must not come after a ttl='5m' one")
    return found


@attrs.define
class PromptCache:
    """Cache entries ``(scope, prefix_key) -> (expiry, ttl)`` on the clock ``now``."""

    now: Callable[[], float]
    minimums: dict[str, int] = attrs.Factory(dict)
    default_minimum: int = DEFAULT_CACHE_MINIMUM
    _entries: dict[tuple[str, str], tuple[float, str]] = attrs.Factory(dict)

    def minimum_for(self, model: str) -> int:
        """Minimum cacheable prefix for ``model``: the longest matching configured prefix."""
        matches = [p for p in self.minimums if model.startswith(p)]
        return self.minimums[max(matches, key=len)] if matches else self.default_minimum

    def clear(self) -> None:
        """Forget every entry."""
        self._entries.clear()

    def _live(self, scope: str, key: str, now: float) -> str | None:
        entry = self._entries.get((scope, key))
        return entry[1] if entry and entry[0] > now else None

    def apply(self, scope: str, model: str, segments: list[Segment]) -> CacheOutcome:
        """Split ``segments`` into read, written and plain tokens, updating the cache."""
        marks = breakpoints(segments)
        total = sum(s.tokens for s in segments)
        if not marks:
            return CacheOutcome(input_tokens=total)
        now = self.now()
        cumulative = []
        running = 0
        for segment in segments:
            running += segment.tokens
            cumulative.append(running)

        read_at = -1
        candidates = sorted(
            {j for b, _ in marks for j in range(max(0, b - LOOKBACK_BLOCKS), b + 1)}, reverse=True
        )
        for j in candidates:
            ttl = self._live(scope, segments[j].prefix_key, now)
            if ttl is not None:
                read_at = j
                self._entries[(scope, segments[j].prefix_key)] = (now + TTL_SECONDS[ttl], ttl)
                break

        read = cumulative[read_at] if read_at >= 0 else 0
        writes = {"5m": 0, "1h": 0}
        boundary = read
        minimum = self.minimum_for(model)
        for index, ttl in marks:
            if index <= read_at or cumulative[index] < minimum:
                continue
            writes[ttl] += cumulative[index] - boundary
            boundary = cumulative[index]
            self._entries[(scope, segments[index].prefix_key)] = (now + TTL_SECONDS[ttl], ttl)
        return CacheOutcome(
            input_tokens=total - boundary,
            cache_write_5m=writes["5m"],
            cache_write_1h=writes["1h"],
            cache_read=read,
        )
