"""A Redis that is absent, silent or hanging up fails each call with ``StorageError``
naming the URL (password redacted) within the configured timeouts: never a hang."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from empathy_core import StorageError
from empathy_redis.approvals import RedisApprovalStore
from empathy_redis.events import RedisEventStore
from empathy_redis.heartbeats import RedisHeartbeatStore
from empathy_redis.memory import RedisMemoryStore
from empathy_redis.settings import RedisSettings
from empathy_redis.signals import RedisSignalStore

FAST = RedisSettings(key_prefix="unreachable", socket_timeout=0.5, connect_timeout=0.5)
GUARD = 30.0  # seconds: a hang guard, not a timing assertion


class Listener:
    """A TCP server on a free local port that accepts connections and then either never
    answers (``hang_up=False``) or closes them at once."""

    def __init__(self, hang_up: bool) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.05)
        self.stopped = threading.Event()
        self.port = self.server.getsockname()[1]
        self.hang_up = hang_up
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            if self.hang_up:
                conn.close()
            else:
                self.accepted.append(conn)

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(GUARD)
        self.server.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent() -> Iterator[Listener]:
    listener = Listener(hang_up=False)
    yield listener
    listener.close()


@pytest.fixture
def hanging_up() -> Iterator[Listener]:
    listener = Listener(hang_up=True)
    yield listener
    listener.close()


def free_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        return probe.getsockname()[1]


CALLS: dict[str, tuple[type, Callable[[Any], Any]]] = {
    "memory get": (RedisMemoryStore, lambda store: store.get_value("ns", "k")),
    "heartbeat list": (RedisHeartbeatStore, lambda store: store.list_heartbeats()),
    "signal list": (RedisSignalStore, lambda store: store.list_signals("w")),
    "blocking event read": (RedisEventStore, lambda store: store.read_events(["t"], "0-0", 10_000, 10)),
    "blocking group read": (RedisEventStore, lambda store: store.read_group("g", "c", None, 10_000, 10)),
    "approval wait": (RedisApprovalStore, lambda store: store.wait_response("r1", 20.0)),
}


def fails_with_storage_error(case: tuple[type, Callable[[Any], Any]], url: str) -> str:
    """The message of the ``StorageError`` the call raises (opening the store may raise it too)."""
    cls, call = case
    started = time.monotonic()
    with pytest.raises(StorageError) as err:
        store = cls(url, FAST)
        try:
            call(store)
        finally:
            store.close()
    assert time.monotonic() - started < GUARD
    return str(err.value)


@pytest.mark.parametrize("case", CALLS.values(), ids=CALLS.keys())
def test_nothing_listening_is_a_storage_error_with_the_password_redacted(
    case: tuple[type, Callable[[Any], Any]],
) -> None:
    url = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    message = fails_with_storage_error(case, url)
    assert f"redis://:***@127.0.0.1:{url.rsplit(':', 1)[1]}" in message
    assert "s3cret" not in message
    assert "ConnectionError" in message


@pytest.mark.parametrize("case", CALLS.values(), ids=CALLS.keys())
def test_a_server_that_never_answers_is_a_storage_error_within_the_socket_timeout(
    silent: Listener, case: tuple[type, Callable[[Any], Any]]
) -> None:
    message = fails_with_storage_error(case, f"redis://127.0.0.1:{silent.port}/0")
    assert f"127.0.0.1:{silent.port}" in message
    assert "Timeout" in message


def test_a_server_that_hangs_up_is_a_storage_error(hanging_up: Listener) -> None:
    message = fails_with_storage_error(CALLS["memory get"], f"redis://127.0.0.1:{hanging_up.port}/0")
    assert "ConnectionError" in message


def test_a_url_of_another_scheme_is_refused() -> None:
    with pytest.raises(StorageError, match=r"not a redis:// URL: postgresql://u:\*\*\*@h/db"):
        RedisMemoryStore("postgresql://u:pw@h/db", FAST)


def test_a_closed_store_refuses_calls(redis_url: str, settings: RedisSettings) -> None:
    store = RedisMemoryStore(redis_url, settings)
    store.set_value("ns", "k", 1)
    store.close()
    store.close()  # idempotent
    with pytest.raises(StorageError, match="is closed"):
        store.get_value("ns", "k")
