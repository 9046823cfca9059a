"""A producer or consumer process for the cross-process stream tests (run as a script).

python stream_worker.py produce URL PREFIX PRODUCER COUNT
    publishes COUNT ``job`` events ``{"p": PRODUCER, "n": n}``.
python stream_worker.py consume URL PREFIX CONSUMER DONE_FILE
    reads group ``workers`` and acknowledges; prints ``p n`` per event; stops at the
    first empty read that began after DONE_FILE existed.
python stream_worker.py hold URL PREFIX CONSUMER COUNT
    reads COUNT events of group ``workers`` without acknowledging them, prints their
    ids on one line, then sleeps until killed (at most a minute).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from empathy_core import utcnow
from empathy_redis.events import RedisEventStore
from empathy_redis.settings import RedisSettings


def main(mode: str, url: str, prefix: str, name: str, arg: str) -> None:
    store = RedisEventStore(url, RedisSettings(key_prefix=prefix), retention=100_000)
    try:
        if mode == "produce":
            for n in range(int(arg)):
                store.publish_event("job", {"p": int(name), "n": n}, utcnow())
        elif mode == "consume":
            while True:
                done = Path(arg).exists()
                events = store.read_group("workers", name, ["job"], 200, 100)
                if events:
                    store.ack_events("workers", [e.event_id for e in events])
                    sys.stdout.write("".join(f"{e.data['p']} {e.data['n']}\n" for e in events))
                elif done:
                    break
        else:
            held: list[str] = []
            while len(held) < int(arg):
                held += [e.event_id for e in store.read_group("workers", name, ["job"], 1000, int(arg))]
            print(" ".join(held), flush=True)
            time.sleep(60)
    finally:
        store.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
