"""Telemetry figures that do not change, kept between requests.

The store contract answers ``stats(since)`` (everything after a moment) and ``recent``
(the newest calls), so a cost chart of N buckets costs N aggregate queries and the runs
view a read of the newest calls. Both are mostly history:

- a finished bucket (one that ends before the current one starts) is the difference of
  two aggregates that both contain every newer call, so it stays put while calls arrive;
- the newest calls only grow at the front: ``recent(window, since=newest seen)`` brings
  the new ones.

Everything is dropped when the store shrinks (``count()`` went down: a prune or a reset)
and after :data:`TTL` seconds, which bounds how long a call written with an old
timestamp stays out of a finished bucket.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from empathy_core import TelemetryStore, UsageRecord

TTL = 60.0
Key = tuple[str, str, str]
"""(workflow, tier, model): every way the cost chart can be split."""
Sums = dict[Key, tuple[int, int]]
"""Per key: (cost in nano-dollars, calls)."""


def totals(store: TelemetryStore, since: datetime) -> Sums:
    sums: dict[Key, list[int]] = defaultdict(lambda: [0, 0])
    for group in store.stats(since):
        pair = sums[(group.workflow, group.tier, group.model)]
        pair[0] += group.cost_nano
        pair[1] += group.calls
    return {key: (pair[0], pair[1]) for key, pair in sums.items()}


def minus(newer: Sums, older: Sums) -> Sums:
    """What ``newer`` (an aggregate from an earlier moment) holds beyond ``older``."""
    out = {}
    for key, (nano, calls) in newer.items():
        before = older.get(key, (0, 0))
        if calls > before[1] or nano > before[0]:
            out[key] = (max(0, nano - before[0]), max(0, calls - before[1]))
    return out


@attrs.define
class TelemetryCache:
    """Finished chart buckets and the newest ``window`` calls of one store."""

    store: TelemetryStore
    ttl: float = TTL
    _lock: threading.Lock = attrs.field(factory=threading.Lock, init=False)
    _built: float = attrs.field(default=0.0, init=False)
    _count: int = attrs.field(default=0, init=False)
    _buckets: dict[tuple[datetime, datetime], Sums] = attrs.field(factory=dict, init=False)
    _newest: list[UsageRecord] = attrs.field(factory=list, init=False)
    _window: int = attrs.field(default=0, init=False)

    def _check(self) -> None:
        count = self.store.count()
        if count < self._count or time.monotonic() - self._built > self.ttl:
            self._buckets.clear()
            self._newest = []
            self._built = time.monotonic()
        self._count = count

    def buckets(self, starts: list[datetime]) -> list[Sums]:
        """Per bucket (``starts`` oldest first, the last one open-ended): the sums of its calls."""
        with self._lock:
            self._check()
            last = len(starts) - 1
            following: Sums | None = totals(self.store, starts[last])
            out: list[Sums] = [{} for _ in starts]
            out[last] = following
            for i in range(last - 1, -1, -1):
                key = (starts[i], starts[i + 1])
                cached = self._buckets.get(key)
                if cached is None:
                    if following is None:
                        following = totals(self.store, starts[i + 1])
                    cumulative = totals(self.store, starts[i])
                    cached = self._buckets[key] = minus(cumulative, following)
                    following = cumulative
                else:
                    following = None
                out[i] = cached
            return out

    def newest(self, window: int) -> list[UsageRecord]:
        """The ``window`` newest calls, newest first."""
        with self._lock:
            self._check()
            if window != self._window or not self._newest:
                self._newest = self.store.recent(window)
                self._window = window
                return list(self._newest)
            top = self._newest[0].timestamp
            seen = {r.record_id for r in self._newest if r.timestamp == top}
            fresh = [r for r in self.store.recent(window, top) if r.record_id not in seen]
            self._newest = (fresh + self._newest)[:window]
            return list(self._newest)
