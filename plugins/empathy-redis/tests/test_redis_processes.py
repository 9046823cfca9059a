"""Consumer groups across processes on Redis: exactly-once sharing, re-delivery after a crash."""

from __future__ import annotations

from typing import Any

import pytest

from empathy_core.testing.event_processes import EventProcessesConformance


class TestRedisEventsAcrossProcesses(EventProcessesConformance):
    @pytest.fixture
    def event_store_opener(self, redis_url: str, key_prefix: str) -> tuple[str, dict[str, Any]]:
        return "empathy_redis.testing:event_store", {"url": redis_url, "key_prefix": key_prefix}
