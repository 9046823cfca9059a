"""Hooks the orchestrate plugin adds (through ``empathy_add_hookspecs``).

The runtime calls them with ``empathy.collect(...)``: isolated (a plugin whose hook or
``register`` call raises is disabled, naming it) and cached like the core's registries.

Implement them in any plugin exactly like the core's hooks::

    from empathy_core import hookimpl

    @hookimpl
    def empathy_register_agent_templates(register):
        from my_plugin.agents import LicenseAgent
        register(LicenseAgent())

The orchestrate plugin registers its own built-ins through these same hooks.
"""

from __future__ import annotations

from collections.abc import Callable

from empathy_core import hookspec


@hookspec
def empathy_register_agent_templates(register: Callable[..., None]) -> None:
    """Register analysis agent templates.

    :param register: ``register(template)`` where ``template`` is an instance of
        :class:`empathy_orchestrate.agents.base.AgentTemplate` (or any object with the same
        attributes): ``name`` (unique across plugins), ``title``, ``description``,
        ``tools``, ``modes`` (health-check modes that include it), ``applies(repo)``,
        ``async analyze(ctx) -> AgentReport`` and ``async critique(ctx, own, other)``.

    Called when the agent registry is first needed (``empathy orchestrate`` commands).
    A name registered by two plugins disables both, naming them (an error with
    ``--strict-plugins``). Return value ignored.
    """


@hookspec
def empathy_register_patterns(register: Callable[..., None]) -> None:
    """Register composition patterns.

    :param register: ``register(pattern_cls)`` where ``pattern_cls`` subclasses
        :class:`empathy_orchestrate.patterns.Pattern`: it has a unique ``name``, and its
        instances are async callables ``await pattern(value)`` (so patterns nest).

    Called when the pattern registry is first needed. A name registered by two plugins
    disables both, naming them (an error with ``--strict-plugins``). Return value ignored.
    """
