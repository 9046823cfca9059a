"""The plugin on the runtime: both schemes for the five roles, its settings validated from
``plugins.settings.empathy-redis``, the URL taken from ``coordination.store`` or
``redis.url``, one store per role and URL closed with the runtime."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import empathy_redis.plugin as redis_plugin
from empathy_core import ConfigError, Heartbeat, StorageError, parse_config
from empathy_redis.events import RedisEventStore
from empathy_redis.heartbeats import RedisHeartbeatStore
from empathy_redis.memory import RedisMemoryStore

ROLES = ("heartbeats", "signals", "events", "approvals", "memory")


def configure(empathy: Any, yaml: str) -> Any:
    empathy.config = parse_config(yaml, Path("empathy.config.yml"))
    return empathy.add(redis_plugin, name="redis", dist="empathy-redis")


@pytest.fixture
def runtime(empathy: Any, redis_url: str, key_prefix: str) -> Any:
    return configure(
        empathy,
        f"""
provider: mock
coordination:
  store: {redis_url}
  event_retention: 25
plugins:
  settings:
    empathy-redis:
      key_prefix: {key_prefix}
      socket_timeout: 3
""",
    )


def test_both_schemes_serve_the_five_roles(empathy: Any) -> None:
    runtime = empathy.add(redis_plugin, name="redis", dist="empathy-redis")
    for role in ROLES:
        backends = runtime.backends(role)
        assert backends["redis"].factory is backends["rediss"].factory is redis_plugin.FACTORIES[role]
        runtime.check_backend_url(role, "rediss://cache.example:6380/1")  # no StorageError


def test_stores_come_from_coordination_store_with_the_plugin_settings(runtime: Any, key_prefix: str) -> None:
    beats = runtime.open_backend("heartbeats")
    assert isinstance(beats, RedisHeartbeatStore)
    assert (beats.prefix, beats.settings.socket_timeout) == (key_prefix, 3.0)
    assert runtime.open_backend("heartbeats") is beats
    events = runtime.open_backend("events")
    assert isinstance(events, RedisEventStore) and events.retention == 25
    beats.put_heartbeat(Heartbeat("agent-1", status="running"))
    assert RedisHeartbeatStore(beats.url, beats.settings).get_heartbeat("agent-1").status == "running"


def test_redis_enabled_puts_every_role_on_redis_url(empathy: Any, redis_url: str, key_prefix: str) -> None:
    runtime = configure(
        empathy,
        f"""
provider: mock
redis:
  enabled: true
  url: {redis_url}
plugins:
  settings:
    empathy-redis:
      key_prefix: {key_prefix}
""",
    )
    assert {runtime.backend_url(role) for role in ROLES} == {redis_url}
    memory = runtime.open_backend("memory")
    assert isinstance(memory, RedisMemoryStore)
    memory.set_value("ns", "k", {"v": 1})
    assert memory.get_value("ns", "k") == {"v": 1}


def test_closing_the_runtime_closes_its_stores(runtime: Any) -> None:
    memory = runtime.open_backend("memory")
    runtime.close()
    with pytest.raises(StorageError, match="is closed"):
        memory.get_value("ns", "k")


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("key_prefix", "'team:*'", "key_prefix"),
        ("socket_timeout", "0", "socket_timeout"),
        ("connect_timeout", "-1", "connect_timeout"),
        ("key_prfix", "x", "key_prfix"),
    ],
)
def test_bad_settings_are_a_config_error_naming_the_key(
    empathy: Any, setting: str, value: str, message: str
) -> None:
    yaml = f"provider: mock\nplugins:\n  settings:\n    empathy-redis:\n      {setting}: {value}\n"
    runtime = configure(empathy, yaml)
    with pytest.raises(ConfigError, match=rf"plugins\.settings\.empathy-redis\b.*\b{message}\b"):
        runtime.settings("empathy-redis")


def test_entry_point_module_imports_neither_redis_nor_the_stores() -> None:
    script = (
        "import sys, empathy_redis.plugin; "
        "print(sorted(m for m in sys.modules if m == 'redis' or m.startswith(('redis.', 'empathy_redis.'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "['empathy_redis.plugin']", done.stderr
