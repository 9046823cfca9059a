"""Hook specifications: the whole contract between the core and its plugins.

Every hook is named ``empathy_*``. Implement one in a plugin module with::

    from empathy_core.hookspecs import hookimpl

    @hookimpl
    def empathy_register_workflows(register):
        register(MyWorkflow)

and expose the module through the ``empathy`` entry-point group. Keep that module
light: import heavy dependencies (SDKs, database drivers) inside hook bodies or in the
objects you register, so that ``empathy --help`` stays fast.

Registration hooks receive a ``register`` callback bound to the calling plugin; two
plugins registering the same name is a :class:`~empathy_core.errors.DuplicateNameError`
naming both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import click

    from empathy_core.config import EmpathyConfig
    from empathy_core.records import ModelTier, UsageRecord
    from empathy_core.workflow import BaseWorkflow, StageContext

PROJECT_NAME = "empathy"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# -- lifecycle -------------------------------------------------------------------------


@hookspec(historic=True)
def empathy_add_hookspecs(pluginmanager: pluggy.PluginManager) -> None:
    """Add new hookspecs so that other plugins can implement them.

    :param pluginmanager: the plugin manager; call ``pluginmanager.add_hookspecs(module)``.

    Called once per plugin right after it is registered (historic: plugins registered
    later see it too). Returns nothing. The orchestrate plugin uses it to add
    ``empathy_register_agent_templates`` and ``empathy_register_patterns``. Because it is
    the first call a plugin receives, plugins that need their manager later (to read
    their own settings, as :class:`empathy_core.sinks.LazySink` does) keep a reference
    to ``pluginmanager`` here.
    """


@hookspec
def empathy_configure(config: EmpathyConfig) -> None:
    """Perform set-up once the configuration is loaded and every plugin is registered.

    :param config: the validated configuration.

    Called once per process before the first workflow runs or plugin command executes,
    in the order given by ``hooks.empathy_configure`` in YAML. Return value ignored.
    """


@hookspec
def empathy_unconfigure(config: EmpathyConfig) -> None:
    """Release what ``empathy_configure`` acquired (connections, files, exporters).

    :param config: the same configuration passed to ``empathy_configure``.

    Called once at process exit or when a plugin manager is closed. Return value ignored.
    """


# -- registration ----------------------------------------------------------------------


@hookspec
def empathy_register_workflows(register: Callable[..., None]) -> None:
    """Register workflow classes.

    :param register: ``register(workflow_cls)``; the class is a
        :class:`~empathy_core.workflow.BaseWorkflow` subclass with ``name``,
        ``description`` and ``stages``.

    Called when the workflow registry is first needed and when the command/workflow
    index is rebuilt. Return value ignored. Duplicate workflow names across plugins are
    an error naming both plugins.
    """


@hookspec
def empathy_register_providers(register: Callable[..., None]) -> None:
    """Register LLM providers.

    :param register: ``register(name, factory)`` where ``factory(config, settings)``
        returns an object with ``name``, ``model_for(tier)`` and
        ``async complete(request) -> LLMResponse``.

    Called when the provider registry is first needed. The configured ``provider:`` key
    picks one by name. Return value ignored.
    """


@hookspec
def empathy_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the root ``empathy`` command.

    :param cli: the root group; call ``cli.add_command(group)``. To share a group with
        another plugin (for example ``cache``), use
        :func:`empathy_core.cli.get_or_create_group`.

    Called only when a plugin command is invoked and when the command index is rebuilt,
    never for ``empathy --help`` with a valid index. Return value ignored. Replacing a
    command another plugin added is an error naming both plugins.
    """


@hookspec
def empathy_register_backends(register: Callable[..., None]) -> None:
    """Register storage backends by URL scheme and role.

    :param register: ``register(scheme, role, factory)``; ``role`` is ``"telemetry"``,
        ``"memory"`` or ``"coordination"``; ``factory(url, config)`` returns the store.

    Called when a store for a role is first opened. The pair (scheme, role) must be
    unique across plugins. Return value ignored.
    """


@hookspec
def empathy_register_level_handlers(register: Callable[..., None]) -> None:
    """Register EmpathyOS level handlers.

    :param register: ``register(level, handler)`` with ``level`` in 1..5 and ``handler``
        a callable ``handler(os, user_input, context) -> EmpathyResponse``.

    Called when EmpathyOS first dispatches. Return value ignored.
    """


@hookspec
def empathy_register_router_strategies(register: Callable[..., None]) -> None:
    """Register tier/model selection strategies.

    :param register: ``register(name, factory)``; ``factory(config)`` returns an object
        with ``select(workflow, stage, context) -> ModelTier | None``.

    Called when routing is first needed; ``adaptive_routing.strategy`` picks one by name.
    Return value ignored.
    """


@hookspec
def empathy_register_settings(register: Callable[..., None]) -> None:
    """Declare the attrs class that validates this plugin's settings.

    :param register: ``register(settings_cls)``; the class validates
        ``plugins.settings.<distribution or plugin name>`` in YAML.

    Called when the configuration is validated. Errors name the key path and line.
    Return value ignored.
    """


# -- execution -------------------------------------------------------------------------


@hookspec(firstresult=True)
def empathy_select_tier(workflow: BaseWorkflow, stage: str, context: dict[str, Any]) -> ModelTier | None:
    """Choose the tier a stage runs on.

    :param workflow: the running workflow instance.
    :param stage: the stage name.
    :param context: ``{"input": stage input, "run_id": ...}``.
    :return: a :class:`~empathy_core.records.ModelTier`, or ``None`` to defer.

    firstresult: the first non-``None`` answer wins. The core's fallback (``trylast``)
    returns the workflow's ``tier_map`` entry. Called once per stage, before
    ``empathy_run_stage``.
    """


@hookspec(firstresult=True)
def empathy_run_stage(ctx: StageContext) -> Awaitable[Any] | None:
    """Return an awaitable that runs one stage.

    :param ctx: the :class:`~empathy_core.workflow.StageContext` (workflow, stage, tier,
        input, run id).
    :return: an awaitable resolving to ``(output, tokens_in, tokens_out)``.

    firstresult: the core's ``trylast`` implementation returns
    ``workflow.run_stage(...)``. Cross-cutting concerns (telemetry, heartbeat, timeout,
    response cache, approval gates) are ``wrapper=True`` implementations: they receive
    the inner awaitable from ``yield`` and return a new one that awaits it, so they
    compose over coroutines. Order from ``hooks.empathy_run_stage`` in YAML: first
    listed is outermost. Called once per stage.
    """


@hookspec
def empathy_record_usage(record: UsageRecord) -> None:
    """Receive every LLM call's :class:`~empathy_core.records.UsageRecord`.

    :param record: the frozen record (failed calls have ``success=False``, zero cost).

    Called once per LLM call, successful or not, by every telemetry sink. Must not
    raise for a sink's own failure: log it instead. Return value ignored.
    """
