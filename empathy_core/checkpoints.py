"""The durable-run contract: run and stage-checkpoint records and the ``checkpoints`` role.

A storage plugin serves :class:`~empathy_core.BackendRole` ``checkpoints`` by registering
``register(scheme, "checkpoints", factory)``; the runtime opens the store with
``empathy.open_backend("checkpoints")`` at the telemetry store's URL. A plugin checkpointing
runs (``empathy-checkpoints``) writes a :class:`RunRecord` when a run starts and one
:class:`StageCheckpoint` per finished stage, before the next stage starts, so that a run
stopped by a crash resumes after its last finished stage.

Stores are synchronous and thread-safe, like the coordination stores: every method
finishes within the store's bounded timeout or raises :class:`~empathy_core.StorageError`
naming the store. Run ids and stage names reaching a store have passed
:func:`check_run_id` and :func:`~empathy_core.check_name`; inputs and outputs are JSON
(checked with :func:`~empathy_core.check_value`). Third-party stores prove themselves with
:class:`empathy_core.testing.checkpoint_conformance.CheckpointStoreConformance`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import attrs

from empathy_core.paths import safe_identifier
from empathy_core.records import utcnow

RUN_STATUSES = ("queued", "running", "success", "failed")
"""The statuses a run list can be filtered by; a run may also end with an error's
``run_status`` (such as ``budget_exceeded``), which counts as not finished."""


def check_run_id(value: Any) -> str:
    """``value`` if it is a safe run id (letters, digits, ``_ . -``, 1 to 128), else ``ValueError``."""
    return safe_identifier(value, what="run id")


@attrs.frozen
class RunRecord:
    """One workflow run as the checkpoint store keeps it.

    ``status`` is ``queued`` (submitted, not started), ``running``, ``success``, ``failed``
    or another failure status. ``owner`` is the worker holding the run until
    ``lease_until`` (``None``: nobody, anyone may claim it); ``attempts`` counts claims.
    ``input`` is the run's JSON input.
    """

    run_id: str
    workflow: str
    status: str = "running"
    input: dict[str, Any] = attrs.Factory(dict)
    created_at: datetime = attrs.Factory(utcnow)
    updated_at: datetime = attrs.Factory(utcnow)
    error: str | None = None
    owner: str | None = None
    lease_until: datetime | None = None
    attempts: int = 0

    @property
    def finished(self) -> bool:
        """True once the run succeeded: the only status a run cannot be resumed from."""
        return self.status == "success"


@attrs.frozen
class StageCheckpoint:
    """One finished stage: its JSON ``output`` and what it cost.

    ``output_type`` is ``"module:QualName"`` when the output was an attrs instance (it is
    rebuilt from the JSON on resume), else ``None``. ``sequence`` orders the stages of a run.
    """

    run_id: str
    stage: str
    output: Any
    tier: str
    tokens_in: int = 0
    tokens_out: int = 0
    cost: float = 0.0
    calls: int = 0
    model: str | None = None
    duration_ms: float = 0.0
    output_type: str | None = None
    sequence: int = 0
    finished_at: datetime = attrs.Factory(utcnow)


@runtime_checkable
class CheckpointStore(Protocol):
    """Role ``checkpoints``: runs and their finished stages.

    :meth:`claim_run` is a compare-and-set: of several workers asking at once, one wins.
    Leases are measured by the clock of the calling process (keep machines in time sync).
    """

    def create_run(self, run: RunRecord) -> None:
        """Add ``run``; :class:`ValueError` if its id exists."""
        ...

    def get_run(self, run_id: str) -> RunRecord | None: ...
    def list_runs(
        self, status: str | None = None, workflow: str | None = None, limit: int = 100
    ) -> list[RunRecord]:
        """Runs, newest ``created_at`` first, at most ``limit``, filtered by status and workflow."""
        ...

    def set_status(self, run_id: str, status: str, error: str | None = None) -> RunRecord:
        """Set ``status`` and ``error``; a status other than ``queued``/``running`` releases the
        owner and lease. :class:`KeyError` for an unknown run."""
        ...

    def claim_run(self, run_id: str, owner: str, lease_seconds: float) -> RunRecord | None:
        """Make ``owner`` hold the run for ``lease_seconds`` and mark it running, if it is not
        finished and has no owner, is ``owner``'s already, or its lease has expired; returns
        the claimed run, else ``None`` (also for an unknown run). Counts an attempt."""
        ...

    def renew_lease(self, run_id: str, owner: str, lease_seconds: float) -> bool:
        """Extend ``owner``'s lease; ``False`` when ``owner`` no longer holds the run."""
        ...

    def save_stage(self, checkpoint: StageCheckpoint) -> None:
        """Keep ``checkpoint``, replacing one for the same (run, stage); committed on return.
        :class:`KeyError` for an unknown run."""
        ...

    def stages(self, run_id: str) -> list[StageCheckpoint]:
        """The run's checkpoints in ``sequence`` order (empty for an unknown run)."""
        ...

    def delete_run(self, run_id: str) -> bool:
        """Forget the run and its checkpoints; ``False`` if unknown."""
        ...

    def close(self) -> None: ...
