"""The SQLite event store shared by several processes on one machine: consumer groups share
events exactly once, and a killed consumer's events go to another after the idle time."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

from empathy_core import utcnow
from empathy_sqlite.events import SQLiteEventStore

PRODUCERS, PER_PRODUCER, CONSUMERS = 4, 500, 2

WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from empathy_core import utcnow
    from empathy_sqlite.events import SQLiteEventStore

    mode, url, name, arg = sys.argv[1:]
    store = SQLiteEventStore(url, retention=100_000)
    if mode == "produce":
        for n in range(int(arg)):
            store.publish_event("job", {"p": int(name), "n": n}, utcnow())
    elif mode == "consume":  # until the first empty read begun after the file ARG exists
        while True:
            done = Path(arg).exists()
            events = store.read_group("workers", name, ["job"], 200, 50)
            if events:
                store.ack_events("workers", [e.event_id for e in events])
                sys.stdout.write("".join(f"{e.data['p']} {e.data['n']}\\n" for e in events))
            elif done:
                break
    else:  # hold ARG events unacknowledged until killed
        held = []
        while len(held) < int(arg):
            held += [e.event_id for e in store.read_group("workers", name, ["job"], 1000, int(arg))]
        print(" ".join(held), flush=True)
        time.sleep(60)
    store.close()
    """
)


def worker(*args: object) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", WORKER, *map(str, args)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_four_producers_two_consumers_every_event_consumed_exactly_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/coordination.db"
    store = SQLiteEventStore(url, retention=100_000)
    try:
        assert store.read_group("workers", "setup", ["job"], 0, 1) == []  # the group exists first
        done = tmp_path / "producers-done"
        started = time.perf_counter()
        consumers = [worker("consume", url, f"c{i}", done) for i in range(CONSUMERS)]
        producers = [worker("produce", url, p, PER_PRODUCER) for p in range(PRODUCERS)]
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
        assert set(seen) == {f"{p} {n}" for p in range(PRODUCERS) for n in range(PER_PRODUCER)}
        assert [line for line, times in seen.items() if times > 1] == []
        elapsed = time.perf_counter() - started
        print(f"\n{PRODUCERS}x{PER_PRODUCER} events, {CONSUMERS} consumers: {elapsed:.2f} s")
    finally:
        store.close()


def test_events_of_a_killed_consumer_are_redelivered_after_the_idle_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/coordination.db"
    store = SQLiteEventStore(url)
    try:
        store.read_group("workers", "setup", ["job"], 0, 1)
        published = [store.publish_event("job", {"n": n}, utcnow()).event_id for n in range(5)]
        doomed = worker("hold", url, "doomed", 5)
        try:
            held = doomed.stdout.readline().split()  # type: ignore[union-attr]
        finally:
            doomed.send_signal(signal.SIGKILL)
            doomed.communicate(timeout=30)
        assert doomed.returncode == -signal.SIGKILL
        assert held == published
        assert store.read_group("workers", "heir", ["job"], 0, 10, claim_idle_ms=60_000) == []
        claimed: list[str] = []
        guard = time.monotonic() + 30
        while len(claimed) < 5 and time.monotonic() < guard:  # a hang guard, not a timing assertion
            claimed += [
                e.event_id for e in store.read_group("workers", "heir", ["job"], 100, 10, claim_idle_ms=300)
            ]
        assert claimed == published
        assert store.ack_events("workers", claimed) == 5
        assert store.read_group("workers", "heir", ["job"], 0, 10, claim_idle_ms=0) == []
    finally:
        store.close()
