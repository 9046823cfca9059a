"""Message Batches of the fake Anthropic server.

A batch stays ``in_progress`` for ``polls_to_end`` retrieves and at least ``delay``
seconds (server clock), then ends on the next retrieve: each request becomes
``expired`` (custom_id in ``expired_ids``), ``errored`` (custom_id in ``error_ids``, the
fake error marker, or an invalid request) or ``succeeded``. Cancelling an unfinished
batch makes it ``canceling``; the next retrieve ends it with every request ``canceled``.
``request_counts`` show everything as ``processing`` until the batch ends.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import attrs

from empathy_testing.fake_errors import FakeAPIError
from empathy_testing.fake_messages import MessagesEngine, new_id, validate_params

CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}\Z")
MAX_REQUESTS = 100_000
EXPIRY_SECONDS = 24 * 3600.0
RESULTS_PATH = "/v1/messages/batches/{}/results"
RESULT_TYPES = ("succeeded", "errored", "canceled", "expired")


def rfc3339(epoch: float) -> str:
    """``2026-01-02T03:04:05.678000Z`` for an epoch time."""
    return datetime.fromtimestamp(epoch, UTC).isoformat().replace("+00:00", "Z")


@attrs.define
class FakeBatch:
    """One batch: its requests, lifecycle timestamps and, once ended, its results."""

    id: str
    scope: str
    requests: list[dict[str, Any]]
    created: float
    polls: int = 0
    cancel_initiated: float | None = None
    ended: float | None = None
    results: list[dict[str, Any]] = attrs.Factory(list)

    @property
    def status(self) -> str:
        if self.ended is not None:
            return "ended"
        return "canceling" if self.cancel_initiated is not None else "in_progress"


@attrs.define
class BatchStore:
    """Every batch the server knows, oldest first."""

    engine: MessagesEngine
    now: Callable[[], float]
    polls_to_end: int = 1
    delay: float = 0.0
    error_ids: set[str] = attrs.Factory(set)
    expired_ids: set[str] = attrs.Factory(set)
    _batches: dict[str, FakeBatch] = attrs.Factory(dict)

    def create(self, body: Any, scope: str) -> FakeBatch:
        """Validate and store a new batch (``{"requests": [{custom_id, params}, ...]}``)."""
        requests = body.get("requests") if isinstance(body, dict) else None
        if not isinstance(requests, list) or not requests:
            raise FakeAPIError(400, "requests: at least one request is required")
        if len(requests) > MAX_REQUESTS:
            raise FakeAPIError(400, f"requests: at most {MAX_REQUESTS} requests per batch")
        seen: set[str] = set()
        for i, request in enumerate(requests):
            custom_id = request.get("custom_id") if isinstance(request, dict) else None
            if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
                raise FakeAPIError(400, f"requests.{i}.custom_id: expected 1-64 of [a-zA-Z0-9_-]")
            if custom_id in seen:
                raise FakeAPIError(400, f"requests.{i}.custom_id: {custom_id!r} is not unique")
            seen.add(custom_id)
            try:
                validate_params(request.get("params"))
            except FakeAPIError as exc:
                raise FakeAPIError(400, f"requests.{i}.params: {exc.message}") from None
        batch = FakeBatch(id=new_id("msgbatch"), scope=scope, requests=requests, created=self.now())
        self._batches[batch.id] = batch
        return batch

    def get(self, batch_id: str) -> FakeBatch:
        """The batch ``batch_id``; 404 when unknown."""
        batch = self._batches.get(batch_id)
        if batch is None:
            raise FakeAPIError(404, f"message batch {batch_id!r} not found")
        return batch

    def poll(self, batch_id: str) -> FakeBatch:
        """Retrieve ``batch_id``, ending it when its time has come."""
        batch = self.get(batch_id)
        if batch.ended is None:
            due = batch.polls >= self.polls_to_end and self.now() - batch.created >= self.delay
            if batch.cancel_initiated is not None or due:
                self._end(batch)
            else:
                batch.polls += 1
        return batch

    def cancel(self, batch_id: str) -> FakeBatch:
        """Start cancelling ``batch_id``; 400 when it has already ended."""
        batch = self.get(batch_id)
        if batch.ended is not None:
            raise FakeAPIError(400, f"message batch {batch_id!r} has already ended")
        if batch.cancel_initiated is None:
            batch.cancel_initiated = self.now()
        return batch

    def delete(self, batch_id: str) -> dict[str, Any]:
        """Forget an ended batch; 400 while it is still processing."""
        batch = self.get(batch_id)
        if batch.ended is None:
            raise FakeAPIError(400, f"message batch {batch_id!r} is still processing")
        del self._batches[batch_id]
        return {"id": batch_id, "type": "message_batch_deleted"}

    def page(
        self,
        results_base: str,
        *,
        limit: int = 20,
        after_id: str | None = None,
        before_id: str | None = None,
    ) -> dict[str, Any]:
        """A page of described batches, most recent first, in the shape of ``SyncPage``."""
        ordered = list(reversed(self._batches.values()))
        ids = [b.id for b in ordered]
        for cursor in (after_id, before_id):
            if cursor is not None and cursor not in ids:
                raise FakeAPIError(404, f"message batch {cursor!r} not found")
        if after_id is not None:
            chosen = ordered[ids.index(after_id) + 1 :]
            more = len(chosen) > limit
            chosen = chosen[:limit]
        elif before_id is not None:
            earlier = ordered[: ids.index(before_id)]
            more = len(earlier) > limit
            chosen = earlier[-limit:]
        else:
            more = len(ordered) > limit
            chosen = ordered[:limit]
        return {
            "data": [self.describe(b, results_base) for b in chosen],
            "has_more": more,
            "first_id": chosen[0].id if chosen else None,
            "last_id": chosen[-1].id if chosen else None,
        }

    def results(self, batch_id: str) -> list[dict[str, Any]]:
        """The result lines of an ended batch; 404 before it ends."""
        batch = self.get(batch_id)
        if batch.ended is None:
            raise FakeAPIError(404, f"results of message batch {batch_id!r} are not available yet")
        return batch.results

    def _end(self, batch: FakeBatch) -> None:
        batch.results = [self._result(batch, r) for r in batch.requests]
        batch.ended = self.now()

    def _result(self, batch: FakeBatch, request: dict[str, Any]) -> dict[str, Any]:
        custom_id = request["custom_id"]
        if batch.cancel_initiated is not None:
            return {"custom_id": custom_id, "result": {"type": "canceled"}}
        if custom_id in self.expired_ids:
            return {"custom_id": custom_id, "result": {"type": "expired"}}
        try:
            if custom_id in self.error_ids:
                raise FakeAPIError(400, f"fake error configured for custom_id {custom_id!r}")
            message = self.engine.create(request["params"], scope=batch.scope, service_tier="batch")
        except FakeAPIError as exc:
            return {"custom_id": custom_id, "result": {"type": "errored", "error": exc.body()}}
        return {"custom_id": custom_id, "result": {"type": "succeeded", "message": message}}

    def describe(self, batch: FakeBatch, results_base: str) -> dict[str, Any]:
        """The ``message_batch`` object of ``batch``; results live under ``results_base``."""
        counts = dict.fromkeys(RESULT_TYPES, 0)
        if batch.ended is None:
            processing = len(batch.requests)
        else:
            processing = 0
            for line in batch.results:
                counts[line["result"]["type"]] += 1
        ended = batch.ended is not None
        canceled_at = batch.cancel_initiated
        return {
            "id": batch.id,
            "type": "message_batch",
            "processing_status": batch.status,
            "request_counts": {"processing": processing, **counts},
            "created_at": rfc3339(batch.created),
            "expires_at": rfc3339(batch.created + EXPIRY_SECONDS),
            "ended_at": rfc3339(batch.ended) if batch.ended is not None else None,
            "cancel_initiated_at": rfc3339(canceled_at) if canceled_at is not None else None,
            "archived_at": None,
            "results_url": f"{results_base}{RESULTS_PATH.format(batch.id)}" if ended else None,
        }
