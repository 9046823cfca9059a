"""The Redis stores pass the core's conformance suite of each role they serve."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from empathy_core.testing.coordination_conformance import (
    ApprovalStoreConformance,
    EventStoreConformance,
    HeartbeatStoreConformance,
    MemoryStoreConformance,
    SignalStoreConformance,
)
from empathy_redis.approvals import RedisApprovalStore
from empathy_redis.events import RedisEventStore
from empathy_redis.heartbeats import RedisHeartbeatStore
from empathy_redis.memory import RedisMemoryStore
from empathy_redis.settings import RedisSettings
from empathy_redis.signals import RedisSignalStore


class TestRedisHeartbeats(HeartbeatStoreConformance):
    @pytest.fixture
    def store_factory(self, redis_url: str, settings: RedisSettings) -> Callable[..., Any]:
        return lambda: RedisHeartbeatStore(redis_url, settings)


class TestRedisSignals(SignalStoreConformance):
    @pytest.fixture
    def store_factory(self, redis_url: str, settings: RedisSettings) -> Callable[..., Any]:
        return lambda: RedisSignalStore(redis_url, settings)


class TestRedisEvents(EventStoreConformance):
    @pytest.fixture
    def store_factory(self, redis_url: str, settings: RedisSettings) -> Callable[..., Any]:
        return lambda retention=10_000: RedisEventStore(redis_url, settings, retention=retention)


class TestRedisApprovals(ApprovalStoreConformance):
    @pytest.fixture
    def store_factory(self, redis_url: str, settings: RedisSettings) -> Callable[..., Any]:
        return lambda: RedisApprovalStore(redis_url, settings)


class TestRedisMemory(MemoryStoreConformance):
    @pytest.fixture
    def store_factory(self, redis_url: str, settings: RedisSettings) -> Callable[..., Any]:
        return lambda: RedisMemoryStore(redis_url, settings)
