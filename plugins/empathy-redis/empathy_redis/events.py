"""Role ``events`` on Redis Streams.

One stream per event type, ``<prefix>:ev:<type>``, trimmed to ``retention`` entries
(exact ``MAXLEN``); the set ``<prefix>:ev-types`` names the types published so far.
Event ids are Redis stream ids (``<ms>-<seq>``) unique and increasing across *all* the
streams of a prefix: each publish is one script that first appends to the one-entry
stream ``<prefix>:ev-any`` with an id Redis assigns (``*``: always above the last one),
then to the type's stream under that same id. So one id orders events of every type, is
a cursor for every stream, and names exactly one stream entry; ``ev-any`` also wakes
blocking readers of "every type", and its entry is the newest id (``last_event_id``).

Groups are consumer groups created on each stream at the group's start id (the last id
when the group was first used, in ``<prefix>:evg:<group>:start``); the set
``<prefix>:evg:<group>:types`` names the streams it reads, for ``ack_events``. A group
read is one script (claim idle pending entries with ``XAUTOCLAIM``, then read new ones
with ``XREADGROUP``, together at most ``count``); when it finds nothing, the store waits
with a plain ``XREAD BLOCK`` for a newer id and reads again.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from empathy_core import Event, check_name, check_payload
from empathy_redis.connection import RedisStore, check_count, check_ms, dumps
from empathy_redis.settings import RedisSettings

ACK_BATCH = 1000
"""Ids acknowledged per script call (Lua unpacks them onto its stack)."""

_ID = re.compile(r"^(\d{1,20})-(\d{1,20})$")

_PUBLISH = """
local id = redis.call('XADD', KEYS[3], 'MAXLEN', 1, '*', 'y', ARGV[4])
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[1], id, 'd', ARGV[2], 't', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return id
"""

_TAKE = """
local prefix, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local count, idle = tonumber(ARGV[4]), ARGV[5]
local types = {}
if ARGV[6] == '*' then
  types = redis.call('SMEMBERS', prefix .. ':ev-types')
else
  for i = 6, #ARGV do types[#types + 1] = ARGV[i] end
end
local newest = redis.call('XREVRANGE', prefix .. ':ev-any', '+', '-', 'COUNT', 1)
local last = newest[1] and newest[1][1] or '0-0'
local start_key = prefix .. ':evg:' .. group .. ':start'
local start = redis.call('GET', start_key)
if not start then
  start = last
  redis.call('SET', start_key, start)
end
local taken, n = {}, 0
local function take(t, entry)
  local fields = {}
  for i = 1, #entry[2], 2 do fields[entry[2][i]] = entry[2][i + 1] end
  taken[#taken + 1] = t
  taken[#taken + 1] = entry[1]
  taken[#taken + 1] = fields['d']
  taken[#taken + 1] = fields['t']
  n = n + 1
end
for _, t in ipairs(types) do
  local stream = prefix .. ':ev:' .. t
  redis.pcall('XGROUP', 'CREATE', stream, group, start, 'MKSTREAM')
  redis.call('SADD', prefix .. ':evg:' .. group .. ':types', t)
  local cursor = '0-0'
  repeat
    if n >= count then break end
    local claimed = redis.call('XAUTOCLAIM', stream, group, consumer, idle, cursor, 'COUNT', count - n)
    cursor = claimed[1]
    for _, entry in ipairs(claimed[2]) do
      if entry[2] then take(t, entry) end
    end
  until cursor == '0-0'
end
for _, t in ipairs(types) do
  if n >= count then break end
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - n,
    'STREAMS', prefix .. ':ev:' .. t, '>')
  if read then
    for _, entry in ipairs(read[1][2]) do take(t, entry) end
  end
end
return {last, taken}
"""

_ACK = """
local acked = 0
for _, t in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  acked = acked + redis.call('XACK', ARGV[1] .. ':ev:' .. t, ARGV[2], unpack(ARGV, 3))
end
return acked
"""


def _event(event_type: str, event_id: str, data: str, timestamp: str) -> Event:
    return Event(event_id, event_type, json.loads(data), datetime.fromisoformat(timestamp))


def _order(event_id: str) -> tuple[int, int]:
    ms, seq = event_id.split("-")
    return int(ms), int(seq)


def check_cursor(value: Any, what: str = "after") -> str:
    """``value`` if it is a stream id ``<ms>-<seq>``, else ``ValueError`` naming ``what``."""
    if not isinstance(value, str) or not _ID.match(value):
        raise ValueError(f"{what} must be an event id like '1700000000000-0', got {value!r}")
    return value


class RedisEventStore(RedisStore):
    """Append-only streams per event type (see the module docstring for the keys)."""

    role = "events"

    def __init__(self, url: str, settings: RedisSettings | None = None, *, retention: int = 10_000) -> None:
        self.retention = check_count(retention, "retention")
        super().__init__(url, settings)
        self._publish = self.script(_PUBLISH)
        self._take = self.script(_TAKE)
        self._ack = self.script(_ACK)

    def _stream(self, event_type: str) -> str:
        return self.key("ev", event_type)

    def _types(self, event_types: Sequence[str] | None) -> list[str]:
        """The checked types asked for, or every type published so far."""
        if event_types is not None:
            if isinstance(event_types, str):
                raise ValueError("event_types must be a sequence of event types, not one string")
            return [check_name(t, "event_types") for t in event_types]
        with self.redis() as client:
            return sorted(client.smembers(self.key("ev-types")))

    def _event(self, event_type: str, event_id: str, fields: Any) -> Event:
        if not isinstance(fields, dict):  # from Lua: a flat [name, value, ...] list
            fields = dict(zip(fields[::2], fields[1::2], strict=True))
        return Event(event_id, event_type, json.loads(fields["d"]), datetime.fromisoformat(fields["t"]))

    def _events(self, replies: Iterable[Any]) -> list[Event]:
        """Events of ``XREAD``-style replies: ``[(stream name, [(id, fields), ...]), ...]``."""
        skip = len(self._stream(""))
        return [
            self._event(stream[skip:], entry_id, fields)
            for stream, entries in replies
            for entry_id, fields in entries
        ]

    def publish_event(self, event_type: str, data: dict[str, Any], timestamp: datetime) -> Event:
        event_type = check_name(event_type, "event_type")
        data = check_payload(data, "event data")
        keys = [self._stream(event_type), self.key("ev-types"), self.key("ev-any")]
        with self.redis():
            args = [self.retention, dumps(data), timestamp.isoformat(), event_type]
            event_id = self._publish(keys=keys, args=args)
        return Event(event_id, event_type, data, timestamp)

    def recent_events(self, event_type: str | None = None, count: int = 100) -> list[Event]:
        check_count(count, "count")
        types = self._types(None if event_type is None else [event_type])
        with self.redis() as client:
            pipe = client.pipeline(transaction=False)
            for t in types:
                pipe.xrevrange(self._stream(t), count=count)
            replies = pipe.execute()
        events = self._events(zip([self._stream(t) for t in types], replies, strict=True))
        events.sort(key=lambda e: _order(e.event_id), reverse=True)
        return events[:count]

    def last_event_id(self) -> str:
        with self.redis() as client:
            newest = client.xrevrange(self.key("ev-any"), count=1)
        return newest[0][0] if newest else "0-0"

    def read_events(
        self, event_types: Sequence[str] | None, after: str, block_ms: int, count: int
    ) -> list[Event]:
        check_cursor(after)
        check_count(count, "count")
        deadline = self._deadline(block_ms)
        while True:
            types = self._types(event_types)
            events: list[Event] = []
            if types:
                with self.redis() as client:
                    replies = client.xread({self._stream(t): after for t in types}, count=count)
                events = sorted(self._events(replies), key=lambda e: _order(e.event_id))
            if events or not self._wait(event_types, after, deadline):
                return events[:count]

    def read_group(
        self,
        group: str,
        consumer: str,
        event_types: Sequence[str] | None,
        block_ms: int,
        count: int,
        claim_idle_ms: int = 30_000,
    ) -> list[Event]:
        group = check_name(group, "group")
        consumer = check_name(consumer, "consumer")
        check_count(count, "count")
        check_ms(claim_idle_ms, "claim_idle_ms")
        names = ["*"] if event_types is None else self._types(event_types)
        deadline = self._deadline(block_ms)
        while True:
            with self.redis():
                last, taken = self._take(args=[self.prefix, group, consumer, count, claim_idle_ms, *names])
            flat = iter(taken)  # the script's reply: type, id, data, timestamp, type, id, ...
            events = sorted(map(_event, flat, flat, flat, flat), key=lambda e: _order(e.event_id))
            if events or not self._wait(event_types, last, deadline):
                return events

    def ack_events(self, group: str, event_ids: Iterable[str]) -> int:
        group = check_name(group, "group")
        ids = [check_cursor(event_id, "event_ids") for event_id in event_ids]
        if not ids:
            return 0
        acked = 0
        with self.redis():
            for start in range(0, len(ids), ACK_BATCH):
                batch = ids[start : start + ACK_BATCH]
                args = [self.prefix, group, *batch]
                acked += int(self._ack(keys=[self.key("evg", group, "types")], args=args))
        return acked

    def _deadline(self, block_ms: int) -> float | None:
        """The monotonic time to stop waiting, ``None`` for no wait."""
        check_ms(block_ms, "block_ms")
        return time.monotonic() + block_ms / 1000 if block_ms else None

    def _wait(self, event_types: Sequence[str] | None, after: str, deadline: float | None) -> bool:
        """Block (in slices shorter than the socket timeout) until an event newer than
        ``after`` of ``event_types`` (``None``: any) exists or ``deadline`` passes; whether
        there is time left to read again."""
        if deadline is None:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        streams = [self.key("ev-any")] if event_types is None else [self._stream(t) for t in event_types]
        block = max(1, int(min(left, self.block_slice) * 1000))
        with self.redis() as client:
            client.xread(dict.fromkeys(streams, after), count=1, block=block)
        return True
