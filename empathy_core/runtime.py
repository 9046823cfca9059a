"""``Empathy``: the one runtime object of a process (pytest's ``Config``, datasette's ``datasette``).

It holds the configuration, the plugin manager, each plugin's validated settings, the
open backends, the middleware chains, the background usage writer and a stash where
plugins keep their own state. Hooks receive it as ``empathy``; factories as their first
argument; commands through :func:`empathy_core.pass_empathy`.
"""

from __future__ import annotations

import atexit
import threading
import warnings
from collections.abc import Callable, Hashable, Iterable
from typing import Any, TypeVar, cast

import attrs

from empathy_core.config import EmpathyConfig, load_config, structure_settings
from empathy_core.errors import ConfigError, PluginError, StorageError, UnknownNameError
from empathy_core.middleware import Handler, compose
from empathy_core.plugins import (
    EmpathyPluginManager,
    PluginInfo,
    PluginLoadWarning,
    env_flag,
    env_list,
)
from empathy_core.privacy import protect
from empathy_core.recorder import store_records
from empathy_core.redaction import add_secret, redact
from empathy_core.registry import (
    BackendEntry,
    BackendRole,
    Registry,
    backend_register,
    level_handler_register,
    object_register,
    provider_register,
    settings_register,
    strategy_register,
    workflow_register,
)
from empathy_core.stash import Stash
from empathy_core.usage_writer import UsageWriter

T = TypeVar("T")


class Empathy:
    """The runtime: configuration, plugins, settings, backends and middleware.

    ``Empathy(config, plugins=[...])`` builds one from explicit plugins (tests);
    :meth:`from_config` is what the CLI uses; :meth:`current` is the process-wide one
    that workflows built without ``empathy=`` use.
    """

    _current: Empathy | None = None
    _current_lock = threading.Lock()
    _exit_hook = False

    def __init__(
        self,
        config: EmpathyConfig | None = None,
        *,
        plugins: Iterable[Any] = (),
        entry_points: bool = False,
        builtins: bool = True,
        strict: bool = False,
        disabled: Iterable[str] = (),
    ) -> None:
        self.config = config if config is not None else EmpathyConfig()
        add_secret(self.config.api_key)
        self.plugin_manager = pm = EmpathyPluginManager(self.config, strict=strict)
        self.stash = Stash()
        self._settings: dict[str, Any] = {}
        self._providers: dict[str, Any] = {}
        self._strategies: dict[str, Any] = {}
        self._backends: dict[tuple[BackendRole, str], Any] = {}
        self._chains: dict[str, Handler] = {}
        self._writer = UsageWriter(self._deliver)
        self._lock = threading.RLock()
        self._configured = False
        if builtins:
            pm.load_builtins()
        if entry_points:
            pm.load_entry_points(disabled=set(disabled) | set(self.config.plugins.disable))
        for plugin in plugins:
            self.add_plugin(plugin)
        pm.check_pending_isolated()
        pm.apply_hook_order(self.config.hooks)

    @classmethod
    def from_config(
        cls, config_path: str | None = None, *, strict: bool | None = None, no_plugins: bool = False
    ) -> Empathy:
        """The runtime from the config file (search order of :func:`load_config`) and
        ``EMPATHY_STRICT_PLUGINS`` / ``EMPATHY_DISABLE_PLUGINS``, settings validated."""
        empathy = cls(
            load_config(config_path),
            entry_points=not no_plugins,
            strict=env_flag("EMPATHY_STRICT_PLUGINS") if strict is None else strict,
            disabled=env_list("EMPATHY_DISABLE_PLUGINS"),
        )
        empathy.validate_settings()
        return empathy

    # -- the process-wide runtime ------------------------------------------------------

    @classmethod
    def current(cls) -> Empathy:
        """The process-wide runtime, created from the configuration on first use."""
        with cls._current_lock:
            if cls._current is None:
                cls.set_current(cls.from_config())
            current = cls._current
        assert current is not None  # nosec B101 - set just above
        return current.configure()

    @classmethod
    def set_current(cls, empathy: Empathy | None, *, close_previous: bool = True) -> None:
        """Install ``empathy`` as the process-wide runtime (``None`` resets). The runtime it
        replaces is closed (its pending records flushed) unless ``close_previous=False``;
        the current one is closed at exit."""
        previous, cls._current = cls._current, empathy
        if previous is None and empathy is not None and not cls._exit_hook:
            atexit.register(cls._close_current)
            cls._exit_hook = True
        if close_previous and previous is not None and previous is not empathy:
            previous.close()

    @classmethod
    def _close_current(cls) -> None:
        if cls._current is not None:
            cls._current.close()

    # -- plugins and hooks -------------------------------------------------------------

    def add_plugin(
        self, plugin: Any, name: str | None = None, *, dist: str | None = None, version: str | None = None
    ) -> bool:
        """Register ``plugin`` as the loader would (``dist``: its settings key); a runtime
        already configured configures it at once. Returns success."""
        name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
        info = PluginInfo(name=name, status="loaded", dist=dist, version=version, first_party=False)
        ok = self.plugin_manager.add_plugin(plugin, name, info)
        self._chains.clear()
        if ok and self._configured:
            caller = self.plugin_manager.hook.empathy_configure
            for impl in caller.get_hookimpls():
                if impl.plugin is plugin:
                    self._isolated(name, "empathy_configure", impl.function, self)
        return ok

    def _isolated(self, plugin: str, hook: str, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return function(*args)
        except (Exception, SystemExit) as exc:
            self.plugin_manager.fail(plugin, exc, during=hook)
            return None

    def call(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call ``hook_name`` with ``empathy`` and ``kwargs``, every plugin isolated;
        returns the non-``None`` results in hook order."""
        return [r for _, r in self.plugin_manager.call(hook_name, empathy=self, **kwargs)]

    def call_first(self, hook_name: str, **kwargs: Any) -> Any:
        """The first non-``None`` result of ``hook_name`` (isolated), else ``None``."""
        found = self.plugin_manager.call(hook_name, firstresult=True, empathy=self, **kwargs)
        return found[0][1] if found else None

    def configure(self) -> Empathy:
        """Call ``empathy_configure`` once (isolated); returns ``self``."""
        if not self._configured:
            self._configured = True
            self.call("empathy_configure")
        return self

    def close(self) -> None:
        """Flush pending usage records, call ``empathy_unconfigure``, close backends."""
        self._writer.close()
        if self._configured:
            self._configured = False
            self.call("empathy_unconfigure")
        with self._lock:
            backends, self._backends = list(self._backends.values()), {}
        for store in backends:
            close = getattr(store, "close", None)
            if close is not None:
                try:
                    close()
                except Exception as exc:
                    warnings.warn(f"closing {getattr(store, 'url', store)}: {exc}", stacklevel=2)

    @property
    def infos(self) -> dict[str, PluginInfo]:
        """Plugin name -> :class:`~empathy_core.plugins.PluginInfo` (loaded, disabled, failed)."""
        return self.plugin_manager.infos

    # -- registries --------------------------------------------------------------------

    def collect(
        self, hook_name: str, kind: str, key: Callable[[Any], Hashable] = lambda o: o.name
    ) -> Registry:
        """Call a registration hook a plugin added, whose ``register(obj)`` takes one object
        named by ``key(obj)``; isolated and cached like the core's registries (the cache is
        per hook: a hook has one ``kind`` and one ``key``)."""
        return self.plugin_manager.collect(hook_name, kind, object_register, key)

    def workflows(self) -> Registry:
        """Workflow name -> :class:`~empathy_core.registry.WorkflowEntry`."""
        return self.plugin_manager.collect(
            "empathy_register_workflows", "workflow", workflow_register, lambda e: e.name
        )

    def workflow(self, name: str) -> type:
        """The workflow class registered as ``name``; :class:`UnknownNameError` listing others."""
        workflows = self.workflows()
        if name not in workflows:
            raise UnknownNameError(_unknown("workflow", name, workflows), exit_code=2)
        return cast(type, workflows[name].cls)

    def providers(self) -> Registry:
        """Provider name -> :class:`~empathy_core.registry.ProviderEntry`."""
        return self.plugin_manager.collect(
            "empathy_register_providers", "provider", provider_register, _by_name
        )

    def provider(self, name: str | None = None) -> Any:
        """The provider ``name`` (default ``config.provider``), built once per runtime."""
        name = name or self.config.provider
        with self._lock:
            if name not in self._providers:
                providers = self.providers()
                if name not in providers:
                    raise UnknownNameError(
                        _unknown("provider", name, providers)
                        + "; set 'provider:' in empathy.config.yml or install the plugin that provides it"
                    )
                owner = providers.owners[name]
                self._providers[name] = providers[name].factory(self, self.settings_of(owner))
            return self._providers[name]

    def _backend_registry(self) -> Registry:
        return self.plugin_manager.collect(
            "empathy_register_backends", "backend", backend_register, lambda e: e.name
        )

    def backends(self, role: BackendRole | str) -> dict[str, BackendEntry]:
        """URL scheme -> :class:`~empathy_core.registry.BackendEntry` for ``role``."""
        role = BackendRole.parse(role)
        return {entry.scheme: entry for entry in self._backend_registry().values() if entry.role is role}

    def backend_url(self, role: BackendRole | str) -> str:
        """The configured URL for ``role``: ``telemetry.store`` for telemetry and checkpoints,
        :meth:`EmpathyConfig.coordination_url` for coordination roles and memory."""
        if BackendRole.parse(role) in (BackendRole.TELEMETRY, BackendRole.CHECKPOINTS):
            return self.config.telemetry.store_url()
        return self.config.coordination_url()

    def check_backend_url(self, role: BackendRole | str, url: str) -> BackendEntry:
        """The entry serving ``url`` for ``role``; :class:`StorageError` naming what is installed."""
        role = BackendRole.parse(role)
        scheme = url.split("://", 1)[0] if "://" in url else ""
        entries = self.backends(role)
        if scheme not in entries:
            known = ", ".join(f"{s}://" for s in sorted(entries)) or "none installed"
            raise StorageError(
                f"no {role.value} backend for URL scheme {scheme + '://' if scheme else repr(url)} "
                f"(installed: {known}); install the plugin that provides it"
            )
        return entries[scheme]

    def open_backend(self, role: BackendRole | str, url: str | None = None) -> Any:
        """The ``role`` store at ``url`` (default :meth:`backend_url`), opened once per runtime
        through the plugin owning its scheme and closed by :meth:`close`."""
        role = BackendRole.parse(role)
        url = url or self.backend_url(role)
        with self._lock:
            if (role, url) not in self._backends:
                entry = self.check_backend_url(role, url)
                owner = self._backend_registry().owners[entry.name]
                self._backends[(role, url)] = entry.factory(self, self.settings_of(owner), url)
            return self._backends[(role, url)]

    def strategies(self) -> Registry:
        """Routing strategy name -> :class:`~empathy_core.registry.StrategyEntry`."""
        return self.plugin_manager.collect(
            "empathy_register_router_strategies", "router strategy", strategy_register, _by_name
        )

    def strategy(self, name: str | None = None) -> Any:
        """The strategy ``name`` (default ``adaptive_routing.strategy``), built once."""
        name = name or self.config.adaptive_routing.strategy
        with self._lock:
            if name not in self._strategies:
                strategies = self.strategies()
                if name not in strategies:
                    raise UnknownNameError(_unknown("router strategy", name, strategies))
                owner = strategies.owners[name]
                self._strategies[name] = strategies[name].factory(self, self.settings_of(owner))
            return self._strategies[name]

    def level_handlers(self) -> Registry:
        """``(level, name)`` -> :class:`~empathy_core.registry.LevelHandlerEntry`."""
        return self.plugin_manager.collect(
            "empathy_register_level_handlers", "level handler", level_handler_register, lambda e: e.key
        )

    # -- settings ----------------------------------------------------------------------

    def _settings_registry(self) -> Registry:
        return self.plugin_manager.collect(
            "empathy_register_settings", "settings", settings_register, lambda e: e.cls
        )

    def settings_classes(self) -> dict[str, type]:
        """Plugin name -> the attrs class validating its settings."""
        registry = self._settings_registry()
        return {str(registry.owners[cls]): entry.cls for cls, entry in registry.items()}

    def _settings_owner(self, key: str | type) -> str | None:
        if isinstance(key, type):
            owner = self._settings_registry().owners.get(key)
            return None if owner is None else str(owner)
        name = self.plugin_manager.resolve_name(key)
        return name if name in self.settings_classes() else None

    def settings_of(self, plugin: str) -> Any:
        """The validated settings of plugin ``plugin``, ``None`` when it declares none."""
        return self.settings(plugin) if self._settings_owner(plugin) else None

    def settings(self, key: str | type[T]) -> Any:
        """A plugin's validated settings, by its settings class, plugin or distribution name.

        Defaults when ``plugins.settings`` has nothing for it; a settings class no loaded
        plugin registered gives its defaults too. :class:`ConfigError` names the key path
        and line of a bad value.
        """
        owner = self._settings_owner(key)
        if owner is None:
            if isinstance(key, type) and attrs.has(key):
                return key()
            raise PluginError(f"plugin {key!r} declares no settings")
        with self._lock:
            if owner not in self._settings:
                cls = self.settings_classes()[owner]
                info = self.infos.get(owner)
                raw = self.config.plugins.settings
                found = next((k for k in (info and info.dist, owner) if k and k in raw), None)
                data = raw.get(found, {}) if found else {}
                path = f"$.plugins.settings.{found or owner}"
                self._settings[owner] = structure_settings(cls, data, path, self.config)
            return self._settings[owner]

    def validate_settings(self) -> None:
        """Validate every plugin's settings now; warn about settings of unknown plugins."""
        for owner in self.settings_classes():
            self.settings(owner)
        known = set(self.infos) | {i.dist for i in self.infos.values() if i.dist}
        for key in self.config.plugins.settings:
            if key not in known:
                where = self.plugin_manager.config_where(f"$.plugins.settings.{key}")
                warnings.warn(
                    f"{where}plugins.settings.{key}: no installed plugin named {key!r}; "
                    "its settings are ignored",
                    PluginLoadWarning,
                    stacklevel=2,
                )

    def check_config(self) -> list[str]:
        """Check names the configuration gives against what is installed: the provider, the
        telemetry store's URL scheme and (with routing on) the strategy.

        A value written in the file that nothing installed serves is a :class:`ConfigError`
        naming the key and line; a default that nothing serves (a minimal install) is
        returned as a warning instead.
        """
        routing = self.config.adaptive_routing
        checks: list[tuple[str, Callable[[], Any]]] = [
            ("$.provider", lambda: _require("provider", self.config.provider, self.providers())),
            ("$.telemetry.store", lambda: self.check_backend_url("telemetry", self.backend_url("telemetry"))),
        ]
        if routing.enabled:
            strategy = lambda: _require("router strategy", routing.strategy, self.strategies())  # noqa: E731
            checks.append(("$.adaptive_routing.strategy", strategy))
        warnings_: list[str] = []
        for path, check in checks:
            try:
                check()
            except (UnknownNameError, StorageError) as exc:
                message = f"{path.removeprefix('$.')}: {exc}"
                if self.config.line_of(path) is None:
                    warnings_.append(f"{message} (the default; set it in empathy.config.yml)")
                    continue
                raise ConfigError(f"{self.plugin_manager.config_where(path)}{message}") from None
        return warnings_

    # -- the engine's chains -----------------------------------------------------------

    def chain(self, hook_name: str, innermost: Handler) -> Handler:
        """The middleware chain of ``hook_name`` around ``innermost``, composed once."""
        chain = self._chains.get(hook_name)
        if chain is None:
            found = self.plugin_manager.call(hook_name, empathy=self)
            chain = self._chains[hook_name] = compose(
                found, innermost, hook=hook_name, on_failure=self._middleware_failed
            )
        return chain

    def _middleware_failed(self, plugin: str, hook: str, exc: BaseException) -> None:
        self.plugin_manager.fail(plugin, exc, during=hook)
        self._chains.clear()

    # -- usage records -----------------------------------------------------------------

    def record_usage(self, record: Any) -> Any:
        """The one way a usage record enters telemetry: privacy rules and secret
        redaction applied, then queued for the store and every sink (off the event loop).
        Returns the record as stored."""
        record = protect(record, self.config)
        if record.error is not None or record.prompt is not None:
            record = attrs.evolve(
                record,
                error=None if record.error is None else redact(record.error),
                prompt=None if record.prompt is None else redact(record.prompt),
            )
        self._writer.put(record)
        return record

    @property
    def pending_usage(self) -> int:
        """Usage records queued and not yet delivered to the store and sinks."""
        return self._writer.pending

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued usage record is delivered; ``False`` on timeout."""
        return self._writer.flush(timeout)

    def _deliver(self, records: list[Any]) -> None:
        store_records(self, records)
        for record in records:
            self.call("empathy_record_usage", record=record)


def _by_name(entry: Any) -> Hashable:
    return cast(Hashable, entry.name)


def _unknown(kind: str, name: str, registry: Registry) -> str:
    import difflib

    hint = difflib.get_close_matches(name, [str(k) for k in registry], n=1)
    known = ", ".join(sorted(str(k) for k in registry)) or "none installed"
    return f"unknown {kind} {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else f" (installed: {known})")


def _require(kind: str, name: str, registry: Registry) -> None:
    if name not in registry:
        raise UnknownNameError(_unknown(kind, name, registry))
