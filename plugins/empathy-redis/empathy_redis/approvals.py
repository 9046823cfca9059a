"""Role ``approvals`` on Redis.

A request is the hash ``<prefix>:ap:<request_id>`` (fields ``req``: its JSON,
``deadline``: epoch ms, ``timeout``: seconds as text, and ``resp``: the decision's JSON once
there is one), kept until ``approval_retention`` seconds after its deadline. The sorted set
``<prefix>:ap-pending`` (ids scored by request time) lists the undecided ones.

:meth:`RedisApprovalStore.resolve` is one Lua script: the first response wins, and an
approving one after the deadline - by the Redis server's clock (``TIME``) - is recorded as a
timeout instead. It then pushes a token to ``<prefix>:ap-done:<request_id>``, which waiters
rotate with ``BLMOVE`` (so every waiter wakes, not just one).
"""

from __future__ import annotations

import json
import time

import attrs

from empathy_core import (
    ApprovalRequest,
    ApprovalResponse,
    check_name,
    check_payload,
    check_seconds,
    from_dict,
    to_dict,
)
from empathy_redis.connection import RedisStore, dumps, epoch_ms
from empathy_redis.settings import RedisSettings

_CREATE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'req', ARGV[1], 'deadline', ARGV[2], 'timeout', ARGV[3])
redis.call('PEXPIREAT', KEYS[1], ARGV[4])
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
return 1
"""

_RESOLVE = """
local found = redis.call('HMGET', KEYS[1], 'req', 'resp', 'deadline', 'timeout')
if not found[1] then return false end
if found[2] then return found[2] end
local response = ARGV[1]
if ARGV[2] == '1' then
  local now = redis.call('TIME')
  local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
  if ms > tonumber(found[3]) then
    local late = cjson.decode(response)
    late['approved'] = false
    late['timed_out'] = true
    late['reason'] = 'timed out after ' .. found[4] .. ' s'
    response = cjson.encode(late)
  end
end
redis.call('HSET', KEYS[1], 'resp', response)
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('RPUSH', KEYS[3], '1')
local expires = redis.call('PEXPIRETIME', KEYS[1])
if expires > 0 then redis.call('PEXPIREAT', KEYS[3], expires) end
return response
"""


class RedisApprovalStore(RedisStore):
    """Requests and the one decision each gets (see the module docstring for the keys)."""

    role = "approvals"

    def __init__(self, url: str, settings: RedisSettings | None = None) -> None:
        super().__init__(url, settings)
        self._create = self.script(_CREATE)
        self._resolve = self.script(_RESOLVE)

    def _keys(self, request_id: str) -> list[str]:
        """[request hash, pending set, done list] of a checked ``request_id``."""
        request_id = check_name(request_id, "request_id")
        return [self.key("ap", request_id), self.key("ap-pending"), self.key("ap-done", request_id)]

    def create_request(self, request: ApprovalRequest) -> None:
        check_name(request.approval_type, "approval_type")
        check_name(request.agent_id, "agent_id")
        check_payload(request.context, "approval context")
        timeout = check_seconds(request.timeout, "timeout")
        stored = attrs.evolve(request, status="pending")
        deadline = epoch_ms(request.deadline.timestamp())
        expires = deadline + epoch_ms(self.settings.approval_retention)
        args = [
            dumps(to_dict(stored)),
            deadline,
            f"{timeout:g}",
            expires,
            epoch_ms(request.requested_at.timestamp()),
            request.request_id,
        ]
        with self.redis():
            created = self._create(keys=self._keys(request.request_id)[:2], args=args)
        if not created:
            raise ValueError(f"approval request {request.request_id!r} already exists")

    def get_request(self, request_id: str) -> ApprovalRequest | None:
        with self.redis() as client:
            text, answer = client.hmget(self._keys(request_id)[0], ["req", "resp"])
        return None if text is None else _request(text, answer)

    def pending_requests(self) -> list[ApprovalRequest]:
        pending = self.key("ap-pending")
        with self.redis() as client:
            ids = client.zrange(pending, 0, -1)
            pipe = client.pipeline(transaction=False)
            pipe.time()
            for request_id in ids:
                pipe.hmget(self.key("ap", request_id), ["req", "resp", "deadline"])
            (seconds, micros), *rows = pipe.execute()
            now = seconds * 1000 + micros // 1000
            gone = [
                request_id
                for request_id, (text, answer, _) in zip(ids, rows, strict=True)
                if not text or answer
            ]
            if gone:
                client.zrem(pending, *gone)
        waiting = [
            _request(text, None)
            for text, answer, deadline in rows
            if text and not answer and int(deadline) > now
        ]
        return sorted(waiting, key=lambda r: r.requested_at)

    def resolve(self, response: ApprovalResponse) -> ApprovalResponse:
        keys = self._keys(response.request_id)
        with self.redis():
            text = self._resolve(
                keys=keys, args=[dumps(to_dict(response)), int(response.approved), response.request_id]
            )
        if text is None:
            raise KeyError(response.request_id)
        return from_dict(ApprovalResponse, json.loads(text))

    def wait_response(self, request_id: str, timeout: float) -> ApprovalResponse | None:
        """The response, waiting up to ``timeout`` seconds (0: just look); ``KeyError`` for
        an unknown request."""
        request_key, _, done = self._keys(request_id)
        deadline = time.monotonic() + (check_seconds(timeout, "timeout") if timeout != 0 else 0)
        while True:
            with self.redis() as client:
                text, answer = client.hmget(request_key, ["req", "resp"])
                if text is None:
                    raise KeyError(request_id)
                if answer is not None:
                    return from_dict(ApprovalResponse, json.loads(answer))
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                client.blmove(done, done, max(0.01, min(left, self.block_slice)), "RIGHT", "LEFT")


def _request(text: str, answer: str | None) -> ApprovalRequest:
    """The stored request with the status its answer (if any) gives it."""
    request = from_dict(ApprovalRequest, json.loads(text))
    if answer is None:
        return request
    return attrs.evolve(request, status=from_dict(ApprovalResponse, json.loads(answer)).status)
