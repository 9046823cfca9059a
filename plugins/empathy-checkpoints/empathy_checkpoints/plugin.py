"""Entry-point module: durable runs.

Registers ``sqlite://``, ``postgresql://`` and ``redis://`` for the ``checkpoints`` role, the settings,
the checkpoint stage middleware, the idempotency / response-cache LLM middleware, the run
lifecycle hooks and the ``runs`` and ``worker`` commands. Everything else is imported on use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from empathy_core import hookimpl

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from empathy_core import BaseWorkflow, Empathy, WorkflowResult


def open_sqlite_store(empathy: Empathy, settings: Any, url: str) -> Any:
    """Factory for ``register("sqlite", "checkpoints", ...)``."""
    from empathy_checkpoints.sqlite_store import SQLiteCheckpointStore

    return SQLiteCheckpointStore(url)


def _needs(module: str, dist: str, url: str) -> None:
    """:class:`StorageError` naming ``dist`` when ``module`` cannot be imported."""
    import importlib

    from empathy_core import StorageError, redact_url

    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise StorageError(
            f"checkpoints store {redact_url(url)} needs {dist} (pip install {dist}): {exc}"
        ) from None


def open_postgres_store(empathy: Empathy, settings: Any, url: str) -> Any:
    """Factory for ``postgresql://`` and ``postgres://`` (needs empathy-postgres)."""
    _needs("empathy_postgres.database", "empathy-postgres", url)
    from empathy_checkpoints.postgres_store import PostgresCheckpointStore

    return PostgresCheckpointStore(url)


def open_redis_store(empathy: Empathy, settings: Any, url: str) -> Any:
    """Factory for ``redis://`` and ``rediss://`` (needs empathy-redis; its ``key_prefix``
    and timeouts apply)."""
    _needs("empathy_redis.connection", "empathy-redis", url)
    from empathy_checkpoints.redis_store import RedisCheckpointStore
    from empathy_redis.settings import RedisSettings

    return RedisCheckpointStore(url, empathy.settings(RedisSettings))


@hookimpl
def empathy_register_backends(register: Callable[..., None]) -> None:
    register("sqlite", "checkpoints", open_sqlite_store)
    register("postgresql", "checkpoints", open_postgres_store)
    register("postgres", "checkpoints", open_postgres_store)
    register("redis", "checkpoints", open_redis_store)
    register("rediss", "checkpoints", open_redis_store)


@hookimpl
def empathy_register_settings(register: Callable[..., None]) -> None:
    from empathy_checkpoints.settings import CheckpointSettings

    register(CheckpointSettings)


@hookimpl
def empathy_stage_middleware(empathy: Empathy) -> Any:
    from empathy_checkpoints.durable import stage_middleware

    return stage_middleware(empathy)


@hookimpl
def empathy_llm_middleware(empathy: Empathy) -> Any:
    from empathy_checkpoints.cache import llm_middleware

    return llm_middleware(empathy)


@hookimpl
def empathy_workflow_started(
    empathy: Empathy, workflow: BaseWorkflow, run_id: str, input_data: dict[str, Any]
) -> Awaitable[None] | None:
    from empathy_checkpoints.durable import checkpoints, workflow_started

    return workflow_started(empathy, workflow, run_id, input_data) if checkpoints(empathy, workflow) else None


@hookimpl
def empathy_workflow_finished(
    empathy: Empathy, workflow: BaseWorkflow, result: WorkflowResult
) -> Awaitable[None] | None:
    from empathy_checkpoints.durable import workflow_finished

    return workflow_finished(empathy, result)


@hookimpl
def empathy_register_commands(cli: Any) -> None:
    from empathy_checkpoints.commands import WORKFLOW_COMMANDS, worker
    from empathy_core import get_or_create_group

    workflow = get_or_create_group(cli, "workflow")
    for command in WORKFLOW_COMMANDS:
        workflow.add_command(command)
    cli.add_command(worker)
