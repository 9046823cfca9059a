"""Role ``heartbeats`` on Redis.

One JSON key per agent, ``<prefix>:hb:<agent_id>``, expiring at ``last_beat + 10 * ttl``,
and the index ``<prefix>:hb-index`` (a sorted set of agent ids scored by that expiry,
trimmed on every write and list), so listing never scans the database.
"""

from __future__ import annotations

import json
import time

from empathy_core import Heartbeat, check_name, check_payload, check_seconds, from_dict, to_dict
from empathy_redis.connection import RedisStore, dumps, epoch_ms

KEPT_TTLS = 10
"""A beat is kept this many ``ttl`` s after its ``last_beat``."""


class RedisHeartbeatStore(RedisStore):
    """The latest beat per agent (see the module docstring for the keys)."""

    role = "heartbeats"

    @property
    def _index(self) -> str:
        return self.key("hb-index")

    def put_heartbeat(self, beat: Heartbeat) -> None:
        agent = check_name(beat.agent_id, "agent_id")
        check_seconds(beat.ttl, "heartbeat ttl")
        check_payload(beat.metadata, "heartbeat metadata")
        check_payload(beat.final_state, "heartbeat final_state")
        expires = epoch_ms(beat.last_beat.timestamp() + KEPT_TTLS * beat.ttl)
        now = epoch_ms(time.time())
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.zremrangebyscore(self._index, "-inf", now)
            if expires > now:
                pipe.set(self.key("hb", agent), dumps(to_dict(beat)), pxat=expires)
                pipe.zadd(self._index, {agent: expires})
            else:  # already past keeping: the new beat replaces the old one by dropping it
                pipe.delete(self.key("hb", agent))
                pipe.zrem(self._index, agent)
            pipe.execute()

    def get_heartbeat(self, agent_id: str) -> Heartbeat | None:
        with self.redis() as client:
            text = client.get(self.key("hb", check_name(agent_id, "agent_id")))
        return None if text is None else from_dict(Heartbeat, json.loads(text))

    def list_heartbeats(self) -> list[Heartbeat]:
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.zremrangebyscore(self._index, "-inf", epoch_ms(time.time()))
            pipe.zrange(self._index, 0, -1)
            agents = sorted(pipe.execute()[1])
            texts = client.mget([self.key("hb", agent) for agent in agents]) if agents else []
        return [from_dict(Heartbeat, json.loads(text)) for text in texts if text is not None]

    def delete_heartbeat(self, agent_id: str) -> bool:
        agent = check_name(agent_id, "agent_id")
        with self.redis() as client:
            pipe = client.pipeline(transaction=True)
            pipe.delete(self.key("hb", agent))
            pipe.zrem(self._index, agent)
            deleted, _ = pipe.execute()
        return bool(deleted)
