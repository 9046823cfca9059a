"""``BatchProcessingWorkflow``: typed tasks on the Message Batches API at half price.

Submitting stores the batch's task list in the runtime's short-term memory store (role
``memory``, namespace :data:`NAMESPACE`, key: the batch id), so :meth:`collect` works in
another process or after a restart. Submission, polling, result mapping and pricing are
:class:`~empathy_anthropic.batch.AnthropicBatchProvider`'s, the same code as ``empathy
batch``; usage is recorded once per batch and cache directory, the same claim ``empathy
batch results`` makes, so a batch collected twice (here or there) is never billed twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from empathy_anthropic.batch import AnthropicBatchProvider, BatchResult, check_batch_id
from empathy_anthropic.batch_files import claim_recording
from empathy_anthropic.settings import AnthropicSettings
from empathy_batch.requests import BatchRequest
from empathy_batch.tasks import BATCH_ELIGIBLE_TASKS
from empathy_core import Empathy, EmpathyError, LLMRequest, UsageRecord, to_dict, utcnow

if TYPE_CHECKING:
    from empathy_core import MemoryStore

NAMESPACE = "batch-processing"
STATE_TTL = 30 * 86400.0
"""Seconds a submitted batch's task list is kept (results stay fetchable for 29 days)."""
WORKFLOW = "batch-processing"


class UnknownBatchError(EmpathyError):
    """A batch id this store holds no task list for (exit code 2)."""

    exit_code = 2


@attrs.frozen
class BatchTaskResult:
    """The outcome of one task: ``output`` is ``{"content", "model", "usage"}`` on success."""

    task_id: str
    task_type: str
    success: bool
    output: dict[str, Any] | None = None
    error: str | None = None
    result_type: str = "succeeded"
    cost: float = 0.0


class BatchProcessingWorkflow:
    """Run :class:`BatchRequest` tasks as one message batch (see the module docstring).

    :param empathy: the runtime (default :meth:`Empathy.current`): its configuration picks
        the model of each tier, its memory store keeps batch state, its telemetry gets usage.
    """

    name = WORKFLOW

    def __init__(self, *, empathy: Empathy | None = None) -> None:
        self.empathy = empathy if empathy is not None else Empathy.current()

    @property
    def _state(self) -> MemoryStore:
        store: MemoryStore = self.empathy.open_backend("memory")
        return store

    def _provider(self, records: list[UsageRecord]) -> AnthropicBatchProvider:
        return AnthropicBatchProvider(
            self.empathy.config,
            self.empathy.settings(AnthropicSettings),
            empathy=self.empathy,
            record_usage=records.append,
            workflow=WORKFLOW,
        )

    async def execute_batch(
        self, requests: Sequence[BatchRequest], poll_interval: float = 300, timeout: float = 86400
    ) -> list[BatchTaskResult]:
        """Submit ``requests``, wait for the batch to end, and return one result per task in
        order. On ``timeout`` a ``ProviderError`` says so; the batch keeps running and
        :meth:`collect` (here or in another process) fetches it later."""
        batch_id = await self.submit_batch(requests)
        return await self.collect(batch_id, poll_interval=poll_interval, timeout=timeout)

    async def submit_batch(self, requests: Sequence[BatchRequest]) -> str:
        """Submit ``requests`` as one batch and store its task list; returns the batch id."""
        tasks = list(requests)
        if not tasks:
            raise ValueError("a batch needs at least one BatchRequest")
        for task in tasks:
            if not isinstance(task, BatchRequest):
                raise TypeError(f"expected BatchRequest objects, got {type(task).__name__}")
        provider = self._provider([])
        try:
            batch_id = await provider.submit({task.task_id: _llm_request(task) for task in tasks})
        finally:
            await provider.aclose()
        state = {"submitted_at": utcnow().isoformat(), "tasks": [to_dict(task) for task in tasks]}
        self._state.set_value(NAMESPACE, batch_id, state, ttl=STATE_TTL)
        return batch_id

    def pending_batches(self) -> list[str]:
        """Ids of batches submitted through this store and not yet collected."""
        store = self._state
        return [
            batch_id
            for batch_id in store.list_keys(NAMESPACE)
            if not (store.get_value(NAMESPACE, batch_id) or {}).get("collected_at")
        ]

    async def collect(
        self, batch_id: str, poll_interval: float | None = None, timeout: float | None = None
    ) -> list[BatchTaskResult]:
        """Wait for batch ``batch_id`` to end and return its results in task order.

        Works in any process sharing the store; :class:`UnknownBatchError` for a batch
        this store did not see submitted. Usage is recorded by the first collection only.
        """
        state = self._state.get_value(NAMESPACE, check_batch_id(batch_id))
        if state is None:
            raise UnknownBatchError(
                f"no batch {batch_id} in the store: it was not submitted through "
                f"BatchProcessingWorkflow here, or its state expired (use 'empathy batch results')"
            )
        tasks = [BatchRequest(**task) for task in state["tasks"]]
        records: list[UsageRecord] = []
        provider = self._provider(records)
        try:
            await provider.wait(batch_id, poll_interval=poll_interval, timeout=timeout)
            results = await provider.results(batch_id)
        finally:
            await provider.aclose()
        self._record(batch_id, tasks, results, records)
        fetched = {result.custom_id: result for result in results}
        collected = {**state, "collected_at": utcnow().isoformat()}
        self._state.set_value(NAMESPACE, batch_id, collected, ttl=STATE_TTL)
        return [_task_result(task, fetched.get(task.task_id)) for task in tasks]

    def _record(
        self, batch_id: str, tasks: list[BatchRequest], results: list[BatchResult], records: list[UsageRecord]
    ) -> None:
        """Record usage, one record per result with the task type as stage, unless an
        earlier collection (or ``empathy batch results``) did."""
        if not claim_recording(batch_id, len(records)):
            return
        types = {task.task_id: task.task_type for task in tasks}
        for result, record in zip(results, records, strict=True):  # the provider's order
            self.empathy.record_usage(attrs.evolve(record, stage=types.get(result.custom_id, record.stage)))
        self.empathy.flush()


def _llm_request(task: BatchRequest) -> LLMRequest:
    kind = BATCH_ELIGIBLE_TASKS[task.task_type]
    return LLMRequest.from_text(
        kind.prompt(task.input_data), tier=task.model_tier, max_tokens=kind.max_tokens
    )


def _task_result(task: BatchRequest, result: BatchResult | None) -> BatchTaskResult:
    if result is None:
        return BatchTaskResult(
            task.task_id, task.task_type, False, error="the batch returned no result for this task",
            result_type="missing",
        )
    output = None
    if result.response is not None:
        output = {
            "content": result.response.text,
            "model": result.response.model,
            "usage": to_dict(result.response.usage),
        }
    return BatchTaskResult(
        task.task_id, task.task_type, result.success, output, result.error, result.result_type, result.cost
    )
