"""Consumer groups across processes: the suite an ``events`` store shares with its rivals.

:class:`EventProcessesConformance` runs producers and consumers as separate Python
processes (this module is their program: ``python -m empathy_core.testing.event_processes``)
on one store location, and checks that every event is consumed exactly once and that a
consumer killed with SIGKILL has its pending events handed to another after the idle time.

A subclass provides the fixture ``event_store_opener``: ``(callable, options)`` where
``callable`` is an importable ``"module:name"`` that ``callable(**options)`` opens a new
store on the shared location (``options`` must be JSON; ``retention`` is added)::

    class TestMyEventsAcrossProcesses(EventProcessesConformance):
        @pytest.fixture
        def event_store_opener(self, tmp_path):
            return "my_store.events:MyEventStore", {"url": f"my:///{tmp_path}/db"}
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from importlib import import_module
from pathlib import Path
from typing import Any

import pytest

from empathy_core.records import utcnow

PRODUCERS, PER_PRODUCER, CONSUMERS = 4, 1_000, 2
GROUP, TYPE = "workers", "job"


def open_store(opener: str, options: dict[str, Any]) -> Any:
    """The store ``opener`` (``"module:name"``) opens with ``options``."""
    module, _, name = opener.partition(":")
    return getattr(import_module(module), name)(**options)


class EventProcessesConformance:
    """Role ``events`` shared by several processes (see the module docstring)."""

    producers, per_producer, consumers = PRODUCERS, PER_PRODUCER, CONSUMERS

    @pytest.fixture
    def spawn(self, event_store_opener: tuple[str, dict[str, Any]]) -> Any:
        opener, options = event_store_opener
        spec = json.dumps([opener, {**options, "retention": 100_000}])

        def start(mode: str, name: object, arg: object) -> subprocess.Popen[str]:
            command = [sys.executable, "-m", __name__, mode, spec, str(name), str(arg)]
            return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        self._spec = (opener, {**options, "retention": 100_000})
        return start

    def open(self) -> Any:
        return open_store(*self._spec)

    def test_producers_and_consumers_share_each_event_exactly_once(self, spawn: Any, tmp_path: Path) -> None:
        store = self.open()
        try:
            assert store.read_group(GROUP, "setup", [TYPE], 0, 1) == []  # the group exists first
            done = tmp_path / "producers-done"
            started = time.perf_counter()
            consumers = [spawn("consume", f"c{i}", done) for i in range(self.consumers)]
            producers = [spawn("produce", p, self.per_producer) for p in range(self.producers)]
            for producer in producers:
                _, errors = producer.communicate(timeout=120)
                assert producer.returncode == 0, errors
            done.touch()
            outputs = []
            for consumer in consumers:
                out, errors = consumer.communicate(timeout=120)
                assert consumer.returncode == 0, errors
                outputs.append(out.splitlines())
            seen = Counter(line for out in outputs for line in out)
            expected = {f"{p} {n}" for p in range(self.producers) for n in range(self.per_producer)}
            assert set(seen) == expected
            assert [line for line, times in seen.items() if times > 1] == []
            elapsed = time.perf_counter() - started
            shape = f"{self.producers}x{self.per_producer} events, {self.consumers} consumers"
            print(f"\n{shape}: {elapsed:.2f} s")
        finally:
            store.close()

    def test_a_killed_consumers_events_go_to_another_after_the_idle_time(self, spawn: Any) -> None:
        store = self.open()
        try:
            store.read_group(GROUP, "setup", [TYPE], 0, 1)
            published = [store.publish_event(TYPE, {"n": n}, utcnow()).event_id for n in range(5)]
            doomed = spawn("hold", "doomed", 5)
            try:
                held = doomed.stdout.readline().split()  # type: ignore[union-attr]
            finally:
                doomed.send_signal(signal.SIGKILL)
                doomed.communicate(timeout=30)
            assert doomed.returncode == -signal.SIGKILL
            assert held == published
            assert store.read_group(GROUP, "heir", [TYPE], 0, 10, claim_idle_ms=60_000) == []
            claimed: list[str] = []
            guard = time.monotonic() + 30
            while len(claimed) < 5 and time.monotonic() < guard:  # a hang guard, not a timing assertion
                batch = store.read_group(GROUP, "heir", [TYPE], 100, 10, claim_idle_ms=300)
                claimed += [e.event_id for e in batch]
            assert claimed == published
            assert store.ack_events(GROUP, claimed) == 5
            assert store.read_group(GROUP, "heir", [TYPE], 0, 10, claim_idle_ms=0) == []
        finally:
            store.close()


def main(mode: str, spec: str, name: str, arg: str) -> None:
    """``produce`` ARG events as producer NAME; ``consume`` as consumer NAME until the
    first empty read begun after file ARG exists, printing ``p n`` per event; ``hold`` ARG
    events unacknowledged, print their ids, and sleep until killed (at most a minute)."""
    store = open_store(*json.loads(spec))
    try:
        if mode == "produce":
            for n in range(int(arg)):
                store.publish_event(TYPE, {"p": int(name), "n": n}, utcnow())
        elif mode == "consume":
            while True:
                done = Path(arg).exists()
                events = store.read_group(GROUP, name, [TYPE], 200, 100)
                if events:
                    store.ack_events(GROUP, [e.event_id for e in events])
                    sys.stdout.write("".join(f"{e.data['p']} {e.data['n']}\n" for e in events))
                elif done:
                    break
        else:
            held: list[str] = []
            while len(held) < int(arg):
                held += [e.event_id for e in store.read_group(GROUP, name, [TYPE], 1000, int(arg))]
            print(" ".join(held), flush=True)
            time.sleep(60)
    finally:
        store.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
