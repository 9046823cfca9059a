"""The plugin manager: the only place that knows about entry points.

It loads the ``empathy`` entry-point group once, isolates plugins that fail (one warning
naming distribution, version and error; fatal with strict mode), honours
``plugins.disable`` / ``EMPATHY_DISABLE_PLUGINS`` / ``--no-plugins``, orders hook calls
from ``hooks:`` in YAML, collects registrations with duplicate detection, and traces hook
calls with ``EMPATHY_TRACE_PLUGINS=1``.
"""

from __future__ import annotations

import atexit
import difflib
import os
import sys
import warnings
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any

import attrs
import pluggy

from empathy_core import __version__, hookspecs
from empathy_core.config import EmpathyConfig, load_config, structure_settings
from empathy_core.errors import ConfigError, DuplicateNameError, PluginError, StorageError

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
BUILTIN_PLUGINS = {
    "engine": "empathy_core.builtin:EnginePlugin",
    "telemetry": "empathy_core.telemetry:TelemetrySink",
}
FIRST_PARTY_DISTS = frozenset(
    {
        "empathy-core",
        "empathy-testing",
        "empathy-anthropic",
        "empathy-sqlite",
        "empathy-postgres",
        "empathy-jsonl",
        "empathy-otel",
        "empathy-telemetry",
        "empathy-orchestrate",
        "empathy-code-review",
    }
)


class PluginLoadWarning(UserWarning):
    """A plugin failed to load or register and was skipped."""


@attrs.define
class PluginInfo:
    """What ``empathy plugins list`` shows for one plugin.

    ``status`` is ``loaded``, ``builtin``, ``disabled`` or ``failed`` (with ``error``).
    """

    name: str
    status: str
    dist: str | None = None
    version: str | None = None
    hooks: list[str] = attrs.Factory(list)
    error: str | None = None
    first_party: bool = True

    def label(self) -> str:
        """``'name' (dist version)`` for messages."""
        if self.dist:
            return f"plugin {self.name!r} ({self.dist} {self.version})"
        return f"plugin {self.name!r}"


class Registry(dict[Any, Any]):
    """Name -> registered object, remembering which plugin registered each name."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.owners: dict[Any, str] = {}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> set[str]:
    return {part.strip() for part in os.environ.get(name, "").split(",") if part.strip()}


def _describe_exc(exc: BaseException) -> str:
    """``Type: message`` on one line."""
    return " ".join(f"{type(exc).__name__}: {exc}".split())


def _import_object(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    module = __import__(module_name, fromlist=[attr or "_"])
    return getattr(module, attr)() if attr else module


class EmpathyPluginManager(pluggy.PluginManager):
    """pluggy's manager plus isolation, registries, ordering and settings."""

    def __init__(self, config: EmpathyConfig | None = None, *, strict: bool = False) -> None:
        super().__init__(ENTRY_POINT_GROUP)
        self.add_hookspecs(hookspecs)
        self.config = config if config is not None else EmpathyConfig()
        self.strict = strict
        self.infos: dict[str, PluginInfo] = {}
        self._registries: dict[str, Registry] = {}
        self._settings: dict[str, Any] = {}
        self._configured = False
        self.hook.empathy_add_hookspecs.call_historic(kwargs={"pluginmanager": self})
        self._tracing = _env_flag("EMPATHY_TRACE_PLUGINS")
        if self._tracing:
            self.trace.root.setwriter(sys.stderr.write)
            self.enable_tracing()

    # -- loading ---------------------------------------------------------------------

    def add_plugin(self, plugin: Any, name: str, info: PluginInfo | None = None) -> bool:
        """Register ``plugin`` under ``name``; a failure is isolated. Returns success."""
        info = info or PluginInfo(name=name, status="loaded")
        self.infos[name] = info
        try:
            self.register(plugin, name=name)
        except Exception as exc:
            self._fail(name, exc, during="registration")
            return False
        self._registries.clear()
        info.hooks = sorted(self._hook_names(plugin))
        return True

    def _hook_names(self, plugin: Any) -> Iterable[str]:
        for caller in self.get_hookcallers(plugin) or []:
            yield caller.name

    def load_builtins(self) -> None:
        """Register the core's own plugins (engine defaults, telemetry sink)."""
        for name, spec in BUILTIN_PLUGINS.items():
            plugin = _import_object(spec)
            info = PluginInfo(name=name, status="builtin", dist="empathy-core", version=__version__)
            self.add_plugin(plugin, name, info)

    def load_entry_points(self, disabled: Iterable[str] = ()) -> None:
        """Load every plugin of the ``empathy`` entry-point group except ``disabled`` ones.

        ``disabled`` may name the entry point or its distribution.
        """
        from importlib.metadata import entry_points

        disabled = set(disabled)
        seen: set[tuple[str, str]] = set()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.metadata["Name"] if ep.dist is not None else None
            version = ep.dist.version if ep.dist is not None else None
            if (ep.name, ep.value) in seen:
                continue
            seen.add((ep.name, ep.value))
            info = PluginInfo(
                name=ep.name,
                status="loaded",
                dist=dist,
                version=version,
                first_party=dist in FIRST_PARTY_DISTS,
            )
            if ep.name in disabled or (dist and dist in disabled):
                info.status = "disabled"
                self.infos[ep.name] = info
                continue
            if ep.name in self.infos:
                other = self.infos[ep.name]
                self.infos[f"{ep.name}@{dist}"] = info
                self._fail(
                    f"{ep.name}@{dist}",
                    PluginError(f"entry point name {ep.name!r} is already used by {other.label()}"),
                    during="load",
                )
                continue
            try:
                plugin = ep.load()
            except Exception as exc:
                self.infos[ep.name] = info
                self._fail(ep.name, exc, during="import")
                continue
            self.add_plugin(plugin, ep.name, info)
        self._check_pending()

    def _check_pending(self) -> None:
        """Unregister plugins implementing ``empathy_*`` hooks that no spec declares."""
        while True:
            try:
                self.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                name = self.get_name(exc.plugin) or "?"
                self.unregister(exc.plugin)
                self._fail(name, exc, during="registration")

    def _fail(self, name: str, exc: BaseException, *, during: str) -> None:
        info = self.infos.setdefault(name, PluginInfo(name=name, status="failed"))
        info.status = "failed"
        info.error = _describe_exc(exc)
        if self.get_plugin(name) is not None:
            self.unregister(name=name)
        self._registries.clear()
        message = f"{info.label()} failed during {during}: {info.error}"
        if self.strict:
            raise PluginError(message) from exc
        warnings.warn(
            f"{message}; skipped (--strict-plugins or EMPATHY_STRICT_PLUGINS=1 makes this fatal)",
            PluginLoadWarning,
            stacklevel=3,
        )

    # -- hook order ------------------------------------------------------------------

    def apply_hook_order(self, order: Mapping[str, list[str]]) -> None:
        """Make listed plugins run first, in the listed order, for each hook.

        For ``wrapper=True`` implementations the first listed is the outermost.
        Unknown hook or plugin names are a :class:`ConfigError` naming the key.
        """
        for hook_name, names in order.items():
            caller = getattr(self.hook, hook_name, None)
            if caller is None or not hook_name.startswith("empathy_"):
                known = [n for n in dir(self.hook) if n.startswith("empathy_")]
                hint = difflib.get_close_matches(hook_name, known, n=1)
                raise ConfigError(
                    self._config_where(f"$.hooks.{hook_name}")
                    + f"unknown hook 'hooks.{hook_name}'"
                    + (f"; did you mean '{hint[0]}'?" if hint else "")
                )
            for index, plugin_name in enumerate(names):
                if not self.has_plugin(plugin_name) and plugin_name not in self.infos:
                    raise ConfigError(
                        self._config_where(f"$.hooks.{hook_name}[{index}]")
                        + f"hooks.{hook_name}: no plugin named {plugin_name!r} "
                        f"(installed: {', '.join(sorted(self.infos))})"
                    )
            _reorder(caller._hookimpls, names)

    def _config_where(self, path: str) -> str:
        if self.config.source is None:
            return ""
        line = self.config.line_of(path)
        return f"{self.config.source}:{line}: " if line else f"{self.config.source}: "

    # -- registries ------------------------------------------------------------------

    def collect(
        self,
        hook_name: str,
        kind: str,
        key: Callable[..., Hashable] = lambda *args, **kw: args[0],
        value: Callable[..., Any] = lambda *args, **kw: args[-1],
    ) -> Registry:
        """Call a registration hook plugin by plugin with a bound ``register`` callback.

        ``key(*args)`` names what is registered, ``value(*args)`` is what is stored. A
        name registered by two plugins raises :class:`DuplicateNameError` naming both.
        A plugin whose hook raises is isolated like a failed import. Cached until a
        plugin is added or removed.
        """
        if hook_name in self._registries:
            return self._registries[hook_name]
        registry = Registry(kind)
        caller = getattr(self.hook, hook_name)
        if self._tracing:
            sys.stderr.write(f"  {hook_name} [register] {len(caller.get_hookimpls())} implementation(s)\n")
        for impl in reversed(caller.get_hookimpls()):
            plugin_name = impl.plugin_name

            def register(*args: Any, _owner: str = plugin_name, **kwargs: Any) -> None:
                name = key(*args, **kwargs)
                if name in registry and registry.owners[name] != _owner:
                    raise DuplicateNameError(
                        f"{kind} {name!r} is registered by both {self._label(registry.owners[name])} "
                        f"and {self._label(_owner)}; disable one with 'plugins.disable' in "
                        f"empathy.config.yml or EMPATHY_DISABLE_PLUGINS"
                    )
                registry[name] = value(*args, **kwargs)
                registry.owners[name] = _owner

            if self._tracing:
                sys.stderr.write(f"  {hook_name} [register] plugin: {plugin_name}\n")
            try:
                impl.function(**{arg: register for arg in impl.argnames})
            except DuplicateNameError:
                raise
            except Exception as exc:
                self._fail(plugin_name, exc, during=hook_name)
                return self.collect(hook_name, kind, key, value)
        self._registries[hook_name] = registry
        return registry

    def _label(self, plugin_name: str) -> str:
        info = self.infos.get(plugin_name)
        return info.label() if info else f"plugin {plugin_name!r}"

    def workflows(self) -> Registry:
        """Workflow name -> class, from ``empathy_register_workflows``."""
        return self.collect("empathy_register_workflows", "workflow", key=lambda cls: cls.name)

    def providers(self) -> Registry:
        """Provider name -> factory, from ``empathy_register_providers``."""
        return self.collect("empathy_register_providers", "provider")

    def backends(self, role: str) -> dict[str, Any]:
        """URL scheme -> factory for ``role``, from ``empathy_register_backends``."""
        registry = self.collect(
            "empathy_register_backends", "backend", key=lambda scheme, role, factory: (scheme, role)
        )
        return {scheme: factory for (scheme, r), factory in registry.items() if r == role}

    def open_backend(self, role: str, url: str) -> Any:
        """Open the ``role`` store at ``url`` through the plugin owning its scheme."""
        scheme = url.split(":", 1)[0] if ":" in url else ""
        factories = self.backends(role)
        if scheme not in factories:
            known = ", ".join(f"{s}://" for s in sorted(factories)) or "none installed"
            raise StorageError(
                f"no {role} backend for URL scheme {scheme + '://' if scheme else repr(url)} "
                f"(installed: {known}); install the plugin that provides it"
            )
        return factories[scheme](url, self.config)

    def router_strategies(self) -> Registry:
        """Strategy name -> factory, from ``empathy_register_router_strategies``."""
        return self.collect("empathy_register_router_strategies", "router strategy")

    def level_handlers(self) -> Registry:
        """Empathy level (1..5) -> handler, from ``empathy_register_level_handlers``."""
        return self.collect("empathy_register_level_handlers", "level handler")

    def settings_classes(self) -> Registry:
        """Plugin name -> settings attrs class, from ``empathy_register_settings``."""
        registry = Registry("settings")
        caller = self.hook.empathy_register_settings
        for impl in reversed(caller.get_hookimpls()):

            def register(cls: type, _owner: str = impl.plugin_name) -> None:
                registry[_owner] = cls
                registry.owners[_owner] = _owner

            impl.function(register=register)
        return registry

    def plugin_settings(self, name: str) -> Any:
        """The validated settings of plugin ``name`` (entry-point or distribution name)."""
        if name in self._settings:
            return self._settings[name]
        plugin_name = self._resolve_name(name)
        cls = self.settings_classes().get(plugin_name)
        if cls is None:
            raise PluginError(f"plugin {name!r} declares no settings")
        info = self.infos.get(plugin_name)
        raw = self.config.plugins.settings
        key = next((k for k in (info and info.dist, plugin_name) if k and k in raw), None)
        data = raw.get(key, {}) if key else {}
        path = f"$.plugins.settings.{key or plugin_name}"
        settings = structure_settings(cls, data, path, self.config)
        self._settings[name] = self._settings[plugin_name] = settings
        return settings

    def validate_settings(self) -> None:
        """Validate every plugin's settings now; warn about settings of unknown plugins."""
        classes = self.settings_classes()
        for plugin_name in classes:
            self.plugin_settings(plugin_name)
        known = set(self.infos) | {i.dist for i in self.infos.values() if i.dist}
        for key in self.config.plugins.settings:
            if key not in known:
                warnings.warn(
                    f"{self._config_where(f'$.plugins.settings.{key}')}plugins.settings.{key}: "
                    f"no installed plugin named {key!r}; its settings are ignored",
                    PluginLoadWarning,
                    stacklevel=2,
                )

    def _resolve_name(self, name: str) -> str:
        if name in self.infos:
            return name
        for plugin_name, info in self.infos.items():
            if info.dist == name:
                return plugin_name
        return name

    def register_commands(self, cli: Any) -> dict[str, list[str]]:
        """Let every plugin add commands to ``cli``; returns command name -> plugins.

        A plugin replacing a command another plugin (or the core) added is a
        :class:`DuplicateNameError`; sharing a group through ``get_or_create_group`` is fine.
        """
        owners: dict[str, list[str]] = {}
        for impl in reversed(self.hook.empathy_register_commands.get_hookimpls()):
            before = {name: (cmd, _subcommands(cmd)) for name, cmd in cli.commands.items()}
            try:
                impl.function(**{arg: cli for arg in impl.argnames})
            except Exception as exc:
                for name in set(cli.commands) - set(before):
                    del cli.commands[name]
                self._fail(impl.plugin_name, exc, during="empathy_register_commands")
                continue
            for name, command in cli.commands.items():
                if name in before and before[name][0] is not command:
                    first = owners.get(name, [None])[0]
                    first_label = self._label(first) if first else "the core"
                    raise DuplicateNameError(
                        f"command {name!r} is registered by both {first_label} and "
                        f"{self._label(impl.plugin_name)}; disable one with 'plugins.disable'"
                    )
                if name not in before or _subcommands(command) != before[name][1]:
                    owners.setdefault(name, []).append(impl.plugin_name)
        return owners

    # -- lifecycle -------------------------------------------------------------------

    def configure(self) -> None:
        """Call ``empathy_configure`` once; ``empathy_unconfigure`` runs at close/exit."""
        if self._configured:
            return
        self._configured = True
        self.hook.empathy_configure(config=self.config)

    def close(self) -> None:
        """Call ``empathy_unconfigure`` if configured."""
        if self._configured:
            self._configured = False
            self.hook.empathy_unconfigure(config=self.config)


def _subcommands(command: Any) -> frozenset[str]:
    """Names under a click group (empty for a plain command)."""
    return frozenset(getattr(command, "commands", {}))


def _reorder(hookimpls: list[Any], names: list[str]) -> None:
    """Reorder pluggy's impl list in place so ``names`` are called first, in order.

    pluggy calls impls from the end of the list and keeps non-wrappers before wrappers;
    both partitions are reordered separately so wrappers still wrap everything.
    """
    position = {name: i for i, name in enumerate(names)}

    def arrange(part: list[Any]) -> list[Any]:
        listed = sorted((i for i in part if i.plugin_name in position), key=lambda i: position[i.plugin_name])
        others = [i for i in part if i.plugin_name not in position]
        return others + list(reversed(listed))

    plain = [i for i in hookimpls if not (i.wrapper or i.hookwrapper)]
    wrappers = [i for i in hookimpls if i.wrapper or i.hookwrapper]
    hookimpls[:] = arrange(plain) + arrange(wrappers)


def make_plugin_manager(
    plugins: Iterable[Any] = (),
    *,
    config: EmpathyConfig | None = None,
    entry_points: bool = False,
    builtins: bool = True,
    strict: bool = False,
    disabled: Iterable[str] = (),
) -> EmpathyPluginManager:
    """Build a plugin manager: builtins, then entry points, then ``plugins`` (objects or modules).

    Hook order from ``config.hooks`` is applied last. Tests use this with explicit
    plugins and ``entry_points=False``.
    """
    config = config if config is not None else EmpathyConfig()
    pm = EmpathyPluginManager(config, strict=strict)
    if builtins:
        pm.load_builtins()
    if entry_points:
        pm.load_entry_points(disabled=set(disabled) | set(config.plugins.disable))
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.add_plugin(plugin, name, PluginInfo(name=name, status="loaded", first_party=False))
    pm._check_pending()
    pm.apply_hook_order(config.hooks)
    return pm


_current: EmpathyPluginManager | None = None


def setup_plugin_manager(
    config_path: str | None = None,
    *,
    strict: bool | None = None,
    no_plugins: bool = False,
) -> EmpathyPluginManager:
    """Create the process-wide plugin manager from config and environment."""
    global _current
    config = load_config(config_path)
    strict = _env_flag("EMPATHY_STRICT_PLUGINS") if strict is None else strict
    disabled = _env_list("EMPATHY_DISABLE_PLUGINS")
    pm = make_plugin_manager(
        config=config,
        entry_points=not no_plugins,
        strict=strict,
        disabled=disabled,
    )
    pm.validate_settings()
    if _current is not None:
        _current.close()
    else:
        atexit.register(_close_current)
    _current = pm
    return pm


def get_plugin_manager() -> EmpathyPluginManager:
    """The process-wide plugin manager, created on first use and configured."""
    pm = _current if _current is not None else setup_plugin_manager()
    pm.configure()
    return pm


def set_plugin_manager(pm: EmpathyPluginManager | None) -> None:
    """Install ``pm`` as the process-wide manager (tests; ``None`` resets)."""
    global _current
    _current = pm


def _close_current() -> None:
    if _current is not None:
        _current.close()
