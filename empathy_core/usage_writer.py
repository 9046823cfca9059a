"""A batched background writer: usage records leave the event loop at once.

:meth:`UsageWriter.put` only appends to a queue; one daemon thread, woken by the first
record and then lingering briefly (50 ms) so that records made together travel together,
hands whatever has accumulated to ``deliver`` in order. :meth:`flush` waits until everything queued so far
is delivered; :meth:`close` flushes and stops the thread. The process-wide runtime is
closed at exit, so a clean shutdown, or a caller that crashed with an exception, loses
nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

log = logging.getLogger("empathy.telemetry")


class UsageWriter:
    """Delivers queued records to ``deliver(batch)`` on a background thread."""

    def __init__(
        self, deliver: Callable[[list[Any]], None], *, max_batch: int = 500, linger: float = 0.05
    ) -> None:
        self._deliver = deliver
        self._max_batch = max_batch
        self._linger = linger
        self._idle = False
        self._urgent = 0
        self._queue: deque[Any] = deque()
        self._cond = threading.Condition()
        self._queued = 0
        self._done = 0
        self._thread: threading.Thread | None = None
        self._closing = False

    def put(self, record: Any) -> None:
        """Queue ``record``; never blocks on I/O."""
        with self._cond:
            self._queue.append(record)
            self._queued += 1
            if self._thread is None or not self._thread.is_alive():
                self._closing = False
                self._thread = threading.Thread(target=self._run, name="empathy-usage-writer", daemon=True)
                self._thread.start()
            elif self._idle or len(self._queue) >= self._max_batch:
                self._cond.notify_all()  # otherwise the writer is lingering: let it sleep

    def flush(self, timeout: float | None = None) -> bool:
        """Block until every record queued before the call is delivered; ``False`` on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            target = self._queued
            self._urgent += 1
            self._cond.notify_all()
            try:
                return self._wait_for(target, deadline)
            finally:
                self._urgent -= 1

    def _wait_for(self, target: int, deadline: float | None) -> bool:
        """Under the lock: wait until ``target`` records are delivered (or drain here)."""
        while self._done < target:
            if self._thread is None or not self._thread.is_alive():
                self._drain_here()
                break
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            self._cond.wait(remaining)
        return True

    def close(self) -> None:
        """Flush, then stop the thread (a later :meth:`put` starts a new one)."""
        self.flush()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    @property
    def pending(self) -> int:
        """Records queued and not yet delivered."""
        return self._queued - self._done

    def _take(self) -> list[Any]:
        """Up to one batch from the front of the queue (the caller holds the lock)."""
        return [self._queue.popleft() for _ in range(min(len(self._queue), self._max_batch))]

    def _drain_here(self) -> None:
        """Deliver what is queued on the calling thread (the writer thread is gone)."""
        while self._queue:
            batch = self._take()
            self._deliver_safely(batch)
            self._done += len(batch)

    def _run(self) -> None:
        """Wait for a record, then linger so that one batch (one transaction, one thread
        switch) carries every record of that moment; a flush or a full batch cuts it short."""
        while True:
            with self._cond:
                self._idle = True
                while not self._queue and not self._closing:
                    self._cond.wait()
                self._idle = False
                if not self._queue:
                    return
                lingered = time.monotonic() + self._linger
                while not (self._urgent or self._closing or len(self._queue) >= self._max_batch):
                    remaining = lingered - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                batch = self._take()
            self._deliver_safely(batch)
            with self._cond:
                self._done += len(batch)
                self._cond.notify_all()

    def _deliver_safely(self, batch: list[Any]) -> None:
        try:
            self._deliver(batch)
        except Exception:  # deliver isolates sinks itself; this is the last resort
            log.exception("telemetry: %d usage records could not be delivered", len(batch))
