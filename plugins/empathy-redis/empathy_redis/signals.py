"""Role ``signals`` on Redis.

A signal is a member ``"<n> <JSON>"`` (``n`` from the counter ``<prefix>:sig-seq``: the
sending order) of two sorted sets per mailbox: ``<mailbox>`` scored by its send time and
``<mailbox>:exp`` scored by its expiry, both in epoch ms. The mailbox is
``<prefix>:sig:to:<agent>`` when addressed, ``<prefix>:sig:all`` for broadcasts. Writes
remove expired members (found by expiry) from both sets; both expire with their last
member. Reads range by send time on the server (``since`` onwards), so polling for new
signals costs what the new signals cost, and drop members whose ``timestamp + ttl`` has
passed. ``<prefix>:sig-targets`` (agents scored by their newest expiry) lets
``list_signals(None)`` find every addressed mailbox without scanning. Filtering by type,
ordering and ``limit`` happen on the members read.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import datetime

from empathy_core import Signal, check_name, check_payload, check_seconds, from_dict, to_dict
from empathy_redis.connection import RedisStore, check_count, dumps, epoch_ms
from empathy_redis.settings import RedisSettings

_SEND = """
local member = redis.call('INCR', KEYS[3]) .. ' ' .. ARGV[1]
local sent, expires, now = ARGV[5], ARGV[2], ARGV[3]
local function add(box, value, score)
  local expiry = box .. ':exp'
  local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
  for i = 1, #gone, 1000 do
    local slice = {unpack(gone, i, math.min(i + 999, #gone))}
    redis.call('ZREM', box, unpack(slice))
    redis.call('ZREM', expiry, unpack(slice))
  end
  redis.call('ZADD', box, score, value)
  redis.call('ZADD', expiry, expires, value)
  for _, key in ipairs({box, expiry}) do
    redis.call('PEXPIREAT', key, expires, 'NX')
    redis.call('PEXPIREAT', key, expires, 'GT')
  end
end
add(KEYS[1], member, sent)
if ARGV[4] ~= '' then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], 'GT', expires, ARGV[4])
  redis.call('PEXPIREAT', KEYS[2], expires, 'NX')
  redis.call('PEXPIREAT', KEYS[2], expires, 'GT')
end
"""


class RedisSignalStore(RedisStore):
    """Messages between agents (see the module docstring for the keys)."""

    role = "signals"

    def _set_of(self, target: str | None) -> str:
        if target is None:
            return self.key("sig", "all")
        return self.key("sig", "to", check_name(target, "target_agent"))

    def __init__(self, url: str, settings: RedisSettings | None = None) -> None:
        super().__init__(url, settings)
        self._send = self.script(_SEND)

    def send_signal(self, signal: Signal) -> None:
        check_name(signal.signal_type, "signal_type")
        check_name(signal.source_agent, "source_agent")
        check_payload(signal.payload, "signal payload")
        check_seconds(signal.ttl, "signal ttl")
        expires = epoch_ms(signal.timestamp.timestamp() + signal.ttl)
        now = epoch_ms(time.time())
        if expires <= now:
            return  # expired on arrival: no reader may see it
        keys = [self._set_of(signal.target_agent), self.key("sig-targets"), self.key("sig-seq")]
        sent = epoch_ms(signal.timestamp.timestamp())
        args = [dumps(to_dict(signal)), expires, now, signal.target_agent or "", sent]
        with self.redis():
            self._send(keys=keys, args=args)

    def list_signals(
        self,
        target_agent: str | None = None,
        signal_types: Sequence[str] | None = None,
        since: datetime | None = None,
        limit: int = 1000,
    ) -> list[Signal]:
        check_count(limit, "limit")
        types = None if signal_types is None else {check_name(t, "signal_types") for t in signal_types}
        now = epoch_ms(time.time())
        with self.redis() as client:
            if target_agent is None:
                agents = client.zrangebyscore(self.key("sig-targets"), now, "+inf")
                boxes = [self._set_of(None), *(self._set_of(agent) for agent in agents)]
            else:
                boxes = [self._set_of(target_agent), self._set_of(None)]
            pipe = client.pipeline(transaction=False)
            start = "-inf" if since is None else epoch_ms(since.timestamp()) - 1
            for box in boxes:
                pipe.zrangebyscore(box, start, "+inf")
            members = [member for found in pipe.execute() for member in found]
        numbered = sorted((int(n), text) for n, text in (member.split(" ", 1) for member in members))
        signals = [from_dict(Signal, json.loads(text)) for _, text in numbered]
        kept = [
            s
            for s in signals
            if epoch_ms(s.timestamp.timestamp() + s.ttl) > now
            and (types is None or s.signal_type in types)
            and (since is None or s.timestamp >= since)
        ]
        kept.sort(key=lambda s: s.timestamp)  # stable: equal times stay in sending order
        return kept[-limit:]
