"""Hook specifications: the whole contract between the core and its plugins (API v1).

Every hook is named ``empathy_*``. Implement one in a plugin module with::

    from empathy_core import hookimpl

    @hookimpl
    def empathy_register_workflows(register):
        register(MyWorkflow)

and expose the module through the ``empathy`` entry-point group. Keep that module
light: import heavy dependencies (SDKs, database drivers) inside hook bodies or in the
objects you register, so that ``empathy --help`` stays fast.

Most hooks receive ``empathy``, the process's :class:`~empathy_core.runtime.Empathy`
(configuration, validated plugin settings, backends, a stash for plugin state); an
implementation may leave out any argument it does not use. Every call is isolated: a
plugin that raises is reported once, naming its distribution and the hook, and disabled
for the rest of the process (``--strict-plugins`` makes it fatal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import click

    from empathy_core.middleware import Middleware
    from empathy_core.records import RouteContext, RouteDecision, StageResult, UsageRecord, WorkflowResult
    from empathy_core.runtime import Empathy
    from empathy_core.workflow import BaseWorkflow

PROJECT_NAME = "empathy"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- lifecycle -------------------------------------------------------------------------


@hookspec(historic=True)
def empathy_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add hookspecs so that other plugins can implement them.

    :param pluginmanager: call ``pluginmanager.add_hookspecs(module)``.

    Called once per plugin right after it is registered (historic). Returns nothing.
    Only for adding specs: a plugin reaches everything else through ``empathy``. Call
    hooks you added with :meth:`Empathy.collect <empathy_core.runtime.Empathy.collect>`
    (registration) or :meth:`Empathy.call <empathy_core.runtime.Empathy.call>`.
    """


@hookspec
def empathy_configure(empathy: Empathy) -> None:
    """Set up once the configuration is loaded and every plugin is registered.

    :param empathy: the runtime; keep per-process state in ``empathy.stash``.

    Called once per runtime before the first workflow runs or plugin command executes
    (a plugin added to a configured runtime is configured on registration), in the order of
    ``hooks.empathy_configure``. Return value ignored.
    """


@hookspec
def empathy_unconfigure(empathy: Empathy) -> None:
    """Release what ``empathy_configure`` acquired (connections, files, exporters).

    :param empathy: the runtime that was configured.

    Called once when the runtime closes (at process exit at the latest), after pending
    usage records are flushed. Return value ignored.
    """


# -- registration ----------------------------------------------------------------------


@hookspec
def empathy_register_workflows(register: Callable[..., None]) -> None:
    """Register workflow classes.

    :param register: ``register(workflow_cls, *, name=None)``; the class is a
        :class:`~empathy_core.workflow.BaseWorkflow` subclass with ``name``,
        ``description`` and ``stages``. Builds a :class:`~empathy_core.registry.WorkflowEntry`.

    Called when the workflow registry is first needed and when the command index is
    rebuilt. Return value ignored. One name from two plugins disables both, naming them.
    """


@hookspec
def empathy_register_providers(register: Callable[..., None]) -> None:
    """Register LLM providers.

    :param register: ``register(name, factory)``; ``factory(empathy, settings)`` returns an
        object with ``name``, ``model_for(tier)`` and ``async complete(request) -> LLMResponse``
        (``settings``: this plugin's validated settings, ``None`` if it declares none).

    The configured ``provider:`` picks one by name. Return value ignored.
    """


@hookspec
def empathy_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the root ``empathy`` command.

    :param cli: the root group; call ``cli.add_command(group)``. To share a group with
        another plugin (for example ``cache``), or to add a subcommand to a core group
        (``get_or_create_group(cli, "workflow").add_command(cmd)``: ``empathy workflow
        runs``), use :func:`empathy_core.get_or_create_group`; the core's own subcommands
        win a name clash, and a plugin subcommand of a core group is imported only when
        it runs.
        Commands reach the runtime with :func:`empathy_core.pass_empathy`.

    Called only when a plugin command is invoked and when the command index is rebuilt,
    never for ``empathy --help`` with a valid index. Return value ignored. A command name
    from two plugins disables both, naming them.
    """


@hookspec
def empathy_register_backends(register: Callable[..., None]) -> None:
    """Register storage backends by URL scheme and role.

    :param register: ``register(scheme, role, factory)``; ``role`` is a
        :class:`~empathy_core.registry.BackendRole` (or its value: ``"telemetry"``,
        ``"memory"``, ``"heartbeats"``, ``"signals"``, ``"events"``, ``"approvals"``,
        ``"checkpoints"``); ``factory(empathy, settings, url)`` returns the store.

    Called when a store for a role is first opened. The pair (scheme, role) is unique
    across plugins. Return value ignored.
    """


@hookspec
def empathy_register_level_handlers(register: Callable[..., None]) -> None:
    """Register EmpathyOS level handlers.

    :param register: ``register(level, name, handler)`` with ``level`` in 1..5, ``name``
        chosen in config, and ``handler(os, user_input, context) -> EmpathyResponse``.

    Called when EmpathyOS first dispatches. Return value ignored.
    """


@hookspec
def empathy_register_router_strategies(register: Callable[..., None]) -> None:
    """Register routing strategies.

    :param register: ``register(name, factory)``; ``factory(empathy, settings)`` returns an
        object with ``select(context: RouteContext) -> RouteDecision | None``.

    ``adaptive_routing.strategy`` picks one by name; the core's ``empathy_select_route``
    asks it. Return value ignored.
    """


@hookspec
def empathy_register_settings(register: Callable[..., None]) -> None:
    """Declare the attrs class that validates this plugin's settings.

    :param register: ``register(settings_cls)``; the class validates
        ``plugins.settings.<distribution or plugin name>`` in YAML; read the result with
        ``empathy.settings(settings_cls)``.

    Called when the configuration is validated. Errors name the key path and line.
    Return value ignored.
    """


# -- execution -------------------------------------------------------------------------


@hookspec(firstresult=True)
def empathy_select_route(empathy: Empathy, context: RouteContext) -> RouteDecision | None:
    """Choose the tier and model a stage runs on.

    :param empathy: the runtime.
    :param context: the :class:`~empathy_core.records.RouteContext` (workflow, stage, the
        workflow's own tier, limits).
    :return: a :class:`~empathy_core.records.RouteDecision`, or ``None`` to defer.

    firstresult. The core's fallback (``trylast``) asks the strategy named by
    ``adaptive_routing.strategy`` when routing is enabled (in config or by the workflow's
    ``enable_adaptive_routing``), else answers the workflow's tier map. Called once per
    stage, before the stage middleware.
    """


@hookspec
def empathy_stage_middleware(empathy: Empathy) -> Middleware | None:
    """Return a stage middleware ``async def mw(ctx: StageContext, call_next)``, or ``None``.

    :param empathy: the runtime composing the chain.

    ``await call_next(ctx)`` runs the rest of the chain and the stage and returns
    ``(output, tokens_in, tokens_out)``; a middleware may call it zero times (answer from
    a cache), several times (retry), or map the exception it raises. Chains are composed
    once per runtime, in the order of ``hooks.empathy_stage_middleware`` (first listed
    outermost). Heartbeats, approvals and checkpoints live here.
    """


@hookspec
def empathy_llm_middleware(empathy: Empathy) -> Middleware | None:
    """Return an LLM-call middleware ``async def mw(ctx: LLMCallContext, call_next)``, or ``None``.

    :param empathy: the runtime composing the chain.

    ``await call_next(ctx)`` asks ``ctx.provider`` for ``ctx.model`` and returns the
    :class:`~empathy_core.records.LLMResponse`. Budgets, fallbacks and response caches
    live here. Order from ``hooks.empathy_llm_middleware`` (first listed outermost); the
    core's telemetry middleware is innermost, so every attempt that reaches the provider
    is one usage record.
    """


@hookspec
def empathy_workflow_started(
    empathy: Empathy, workflow: BaseWorkflow, run_id: str, input_data: dict[str, Any]
) -> Awaitable[None] | None:
    """A workflow run is starting.

    :param empathy: the runtime.
    :param workflow: the workflow instance.
    :param run_id: the run's identifier.
    :param input_data: the run's input.

    May return an awaitable, which the engine awaits before the first stage.
    """


@hookspec
def empathy_stage_finished(
    empathy: Empathy, workflow: BaseWorkflow, run_id: str, result: StageResult
) -> Awaitable[None] | None:
    """A stage finished, before the next one starts.

    :param empathy: the runtime.
    :param workflow: the workflow instance.
    :param run_id: the run's identifier.
    :param result: the :class:`~empathy_core.records.StageResult` (``status`` success or failed).

    May return an awaitable, which the engine awaits.
    """


@hookspec
def empathy_workflow_finished(
    empathy: Empathy, workflow: BaseWorkflow, result: WorkflowResult
) -> Awaitable[None] | None:
    """A workflow run finished (its usage records may still be queued: ``empathy.flush()``).

    :param empathy: the runtime.
    :param workflow: the workflow instance.
    :param result: the :class:`~empathy_core.records.WorkflowResult`.

    May return an awaitable, which the engine awaits.
    """


@hookspec
def empathy_record_usage(empathy: Empathy, record: UsageRecord) -> None:
    """Receive every LLM call's :class:`~empathy_core.records.UsageRecord`, after privacy.

    :param empathy: the runtime.
    :param record: the frozen record (failed calls have ``success=False``, zero cost).

    Called once per record on the runtime's background writer thread, never on the
    event loop, in the order the records were made, after the record is in the
    configured store; ``empathy.flush()`` waits for pending records, and closing the
    runtime (at exit at the latest) flushes them. A sink that raises is disabled; the
    other sinks still receive the record.
    """
