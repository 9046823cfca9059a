"""What registration hooks register: one attrs entry per kind, built by a typed ``register``.

Each ``empathy_register_*`` hook receives a ``register`` callable with a real signature
(keywords work, a wrong argument is a :class:`TypeError` naming the plugin). It builds an
entry and adds it to a :class:`Registry`, which knows the plugin that owns each name.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable
from typing import Any

import attrs


class BackendRole(str, enum.Enum):
    """What a storage backend stores; each role has one Protocol and one conformance suite."""

    TELEMETRY = "telemetry"
    MEMORY = "memory"
    HEARTBEATS = "heartbeats"
    SIGNALS = "signals"
    EVENTS = "events"
    APPROVALS = "approvals"
    CHECKPOINTS = "checkpoints"

    @classmethod
    def parse(cls, value: str | BackendRole) -> BackendRole:
        """A role or its name; an unknown name is a :class:`ValueError` listing the roles."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(
                f"unknown backend role {value!r} (expected one of: {', '.join(r.value for r in cls)})"
            ) from None


def _callable(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not callable(value):
        raise TypeError(f"{attribute.name} must be callable, got {type(value).__name__}")


def _name(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{attribute.name} must be a non-empty string, got {value!r}")


@attrs.frozen
class WorkflowEntry:
    """A workflow class under its name (``cls.name`` unless given)."""

    cls: type = attrs.field(validator=attrs.validators.instance_of(type))
    name: str = attrs.field(
        default=attrs.Factory(lambda self: getattr(self.cls, "name", ""), takes_self=True), validator=_name
    )


@attrs.frozen
class ProviderEntry:
    """An LLM provider factory: ``factory(empathy, settings) -> provider``."""

    name: str = attrs.field(validator=_name)
    factory: Callable[..., Any] = attrs.field(validator=_callable)


@attrs.frozen
class BackendEntry:
    """A storage backend for one URL scheme and role: ``factory(empathy, settings, url) -> store``."""

    scheme: str = attrs.field(validator=_name)
    role: BackendRole = attrs.field(converter=lambda value: BackendRole.parse(value))
    factory: Callable[..., Any] = attrs.field(validator=_callable)

    @property
    def name(self) -> tuple[str, BackendRole]:
        return (self.scheme, self.role)


@attrs.frozen
class StrategyEntry:
    """A routing strategy factory: ``factory(empathy, settings)`` returns an object with
    ``select(context: RouteContext) -> RouteDecision | None``."""

    name: str = attrs.field(validator=_name)
    factory: Callable[..., Any] = attrs.field(validator=_callable)


@attrs.frozen
class LevelHandlerEntry:
    """An EmpathyOS handler for ``level`` (1..5) under ``name``, chosen in config."""

    level: int = attrs.field(validator=attrs.validators.in_(range(1, 6)))
    name: str = attrs.field(validator=_name)
    handler: Callable[..., Any] = attrs.field(validator=_callable)

    @property
    def key(self) -> tuple[int, str]:
        return (self.level, self.name)


@attrs.frozen
class SettingsEntry:
    """The attrs class validating ``plugins.settings.<plugin>``."""

    cls: type = attrs.field()

    @cls.validator
    def _check(self, _: Any, value: Any) -> None:
        if not attrs.has(value):
            raise TypeError(f"settings class must be an attrs class, got {value!r}")


def workflow_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(workflow_cls, *, name=None)`` for ``empathy_register_workflows``."""

    def register(workflow_cls: type, *, name: str | None = None) -> None:
        add(WorkflowEntry(workflow_cls, name) if name else WorkflowEntry(workflow_cls))

    return register


def provider_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(name, factory)`` for ``empathy_register_providers``."""

    def register(name: str, factory: Callable[..., Any]) -> None:
        add(ProviderEntry(name, factory))

    return register


def backend_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(scheme, role, factory)`` for ``empathy_register_backends``."""

    def register(scheme: str, role: BackendRole | str, factory: Callable[..., Any]) -> None:
        add(BackendEntry(scheme, role, factory))  # type: ignore[arg-type]

    return register


def strategy_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(name, factory)`` for ``empathy_register_router_strategies``."""

    def register(name: str, factory: Callable[..., Any]) -> None:
        add(StrategyEntry(name, factory))

    return register


def level_handler_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(level, name, handler)`` for ``empathy_register_level_handlers``."""

    def register(level: int, name: str, handler: Callable[..., Any]) -> None:
        add(LevelHandlerEntry(level, name, handler))

    return register


def settings_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(settings_cls)`` for ``empathy_register_settings``."""

    def register(settings_cls: type) -> None:
        add(SettingsEntry(settings_cls))

    return register


def object_register(add: Callable[[Any], None]) -> Callable[..., None]:
    """``register(obj)`` for a plugin's own registration hooks (see ``Empathy.collect``)."""

    def register(obj: Any) -> None:
        add(obj)

    return register


class Registry(dict[Hashable, Any]):
    """Name -> registered entry, remembering which plugin registered each name."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.owners: dict[Hashable, str] = {}
