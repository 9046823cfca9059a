"""The plugin manager: the only place that knows about entry points.

It loads the ``empathy`` entry-point group once, isolates plugins (a plugin failing at
import, registration or in any hook is reported once, naming distribution, version and
hook, and disabled; fatal in strict mode), honours ``plugins.disable`` /
``EMPATHY_DISABLE_PLUGINS`` / ``--no-plugins``, orders hook calls from ``hooks:`` in
YAML, collects typed registrations (a name claimed by two plugins disables both), and
traces with ``EMPATHY_TRACE_PLUGINS=1``.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import sys
import time
import warnings
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

import attrs
import pluggy

from empathy_core import __version__, hookspecs
from empathy_core.config import EmpathyConfig
from empathy_core.errors import ConfigError, DuplicateNameError, PluginError
from empathy_core.redaction import redact
from empathy_core.registry import Registry

ENTRY_POINT_GROUP = hookspecs.PROJECT_NAME
BUILTIN_PLUGINS = {
    "engine": "empathy_core.builtin:EnginePlugin",
    "telemetry": "empathy_core.recorder:TelemetryPlugin",
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
        "empathy-redis",
        "empathy-coordination",
        "empathy-batch",
        "empathy-routing",
        "empathy-security-audit",
        "empathy-bug-predict",
        "empathy-test-gen",
        "empathy-os",
        "empathy-levels",
        "empathy-checkpoints",
        "empathy-dashboard",
    }
)
_MAX_ERROR = 300


class PluginLoadWarning(UserWarning):
    """A plugin failed and was disabled."""


@attrs.define
class PluginInfo:
    """What ``empathy plugins list`` shows for one plugin.

    ``status`` is ``loaded``, ``builtin``, ``disabled`` or ``failed`` (with ``error`` and
    the hook or phase it failed in); ``import_ms`` is how long its module took to import.
    """

    name: str
    status: str
    dist: str | None = None
    version: str | None = None
    hooks: list[str] = attrs.Factory(list)
    error: str | None = None
    first_party: bool = True
    import_ms: float = 0.0

    def label(self) -> str:
        """``'name' (dist version)`` for messages."""
        if self.dist:
            return f"plugin {self.name!r} ({self.dist} {self.version})"
        return f"plugin {self.name!r}"


def env_flag(name: str) -> bool:
    """Whether environment variable ``name`` holds a true value (1, true, yes, on)."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str) -> set[str]:
    """The comma-separated names in environment variable ``name``."""
    return {part.strip() for part in os.environ.get(name, "").split(",") if part.strip()}


def describe_exc(exc: BaseException) -> str:
    """``Type: message`` on one line, secrets redacted, at most a few hundred characters."""
    text = redact(" ".join(f"{type(exc).__name__}: {exc}".split()))
    return text if len(text) <= _MAX_ERROR else text[:_MAX_ERROR] + "..."


def _import_object(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    module = __import__(module_name, fromlist=[attr or "_"])
    return getattr(module, attr)() if attr else module


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[None]:
    """Keep what a plugin prints at import out of stdout (and so out of ``--json``)."""
    with contextlib.redirect_stdout(sys.stderr):
        yield


class EmpathyPluginManager(pluggy.PluginManager):
    """pluggy's manager plus isolation, typed registries and ordering."""

    def __init__(self, config: EmpathyConfig | None = None, *, strict: bool = False) -> None:
        super().__init__(ENTRY_POINT_GROUP)
        self.add_hookspecs(hookspecs)
        self.config = config if config is not None else EmpathyConfig()
        self.strict = strict
        self.infos: dict[str, PluginInfo] = {}
        self._registries: dict[str, Registry] = {}
        self.hook.empathy_add_hookspecs.call_historic(kwargs={"pluginmanager": self})
        self._tracing = env_flag("EMPATHY_TRACE_PLUGINS")
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
            self.fail(name, exc, during="registration")
            return False
        self._registries.clear()
        info.hooks = sorted(c.name for c in self.get_hookcallers(plugin) or [])
        return True

    def load_builtins(self) -> None:
        """Register the core's own plugins (engine defaults, telemetry)."""
        for name, spec in BUILTIN_PLUGINS.items():
            info = PluginInfo(name=name, status="builtin", dist="empathy-core", version=__version__)
            self.add_plugin(_import_object(spec), name, info)

    def load_entry_points(self, disabled: Iterable[str] = ()) -> None:
        """Load every plugin of the ``empathy`` group except ``disabled`` ones (entry-point
        or distribution names). Output printed at import goes to stderr."""
        from importlib.metadata import entry_points

        disabled = set(disabled)
        seen: set[tuple[str, str]] = set()
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = ep.dist.metadata["Name"] if ep.dist is not None else None
            if (ep.name, ep.value) in seen:
                continue
            seen.add((ep.name, ep.value))
            info = PluginInfo(
                name=ep.name,
                status="loaded",
                dist=dist,
                version=ep.dist.version if ep.dist is not None else None,
                first_party=dist in FIRST_PARTY_DISTS,
            )
            if ep.name in disabled or (dist and dist in disabled):
                info.status = "disabled"
                self.infos[ep.name] = info
                continue
            if ep.name in self.infos:
                other = self.infos[ep.name]
                self.infos[f"{ep.name}@{dist}"] = info
                message = f"entry point name {ep.name!r} is already used by {other.label()}"
                self.fail(f"{ep.name}@{dist}", PluginError(message), during="load")
                continue
            self.infos[ep.name] = info
            started = time.perf_counter()
            try:
                with _stdout_to_stderr():
                    plugin = ep.load()
            except BaseException as exc:  # SystemExit and KeyboardInterrupt at import too
                self.fail(ep.name, exc, during="import")
                continue
            finally:
                info.import_ms = round((time.perf_counter() - started) * 1000, 1)
            if self._tracing:
                sys.stderr.write(f"  plugin {ep.name!r} imported in {info.import_ms:.1f} ms\n")
            self.add_plugin(plugin, ep.name, info)
        self.check_pending_isolated()

    def check_pending_isolated(self) -> None:
        """Disable plugins implementing ``empathy_*`` hooks that no spec declares."""
        while True:
            try:
                self.check_pending()
                return
            except pluggy.PluginValidationError as exc:
                self.fail(self.get_name(exc.plugin) or "?", exc, during="registration")

    def fail(self, name: str, exc: BaseException, *, during: str) -> None:
        """Report plugin ``name`` once (naming it and ``during``) and disable it.

        In strict mode raise :class:`PluginError` instead.
        """
        info = self.infos.setdefault(name, PluginInfo(name=name, status="failed"))
        already = info.status == "failed"
        info.status = "failed"
        info.error = info.error if already else f"{during}: {describe_exc(exc)}"
        plugin = self.get_plugin(name)
        if plugin is not None:
            self.unregister(plugin)
        self._registries.clear()
        if already:
            return
        message = f"{info.label()} failed in {during}: {describe_exc(exc)}"
        if self.strict:
            raise PluginError(message) from exc
        warnings.warn(
            f"{message}; disabled (--strict-plugins or EMPATHY_STRICT_PLUGINS=1 makes this fatal)",
            PluginLoadWarning,
            stacklevel=3,
        )

    # -- calling hooks ---------------------------------------------------------------

    def call(self, hook_name: str, *, firstresult: bool = False, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook_name`` plugin by plugin in hook order; returns ``(plugin, result)`` for
        every non-``None`` result (only the first with ``firstresult``).

        A plugin raising (``SystemExit`` included) is reported and disabled; the others
        are still called.
        """
        results: list[tuple[str, Any]] = []
        impls = getattr(self.hook, hook_name).get_hookimpls()
        if self._tracing:
            sys.stderr.write(f"  {hook_name}: {', '.join(i.plugin_name for i in reversed(impls)) or '-'}\n")
        for impl in reversed(impls):
            try:
                result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            except (Exception, SystemExit) as exc:
                self.fail(impl.plugin_name, exc, during=hook_name)
                continue
            if result is not None:
                results.append((impl.plugin_name, result))
                if firstresult:
                    break
        return results

    # -- hook order ------------------------------------------------------------------

    def apply_hook_order(self, order: Mapping[str, list[str]]) -> None:
        """Make listed plugins run first, in the listed order, for each hook (for
        middleware: first listed is outermost). Unknown names are a :class:`ConfigError`."""
        for hook_name, names in order.items():
            caller = getattr(self.hook, hook_name, None)
            if caller is None or not hook_name.startswith("empathy_"):
                known = [n for n in dir(self.hook) if n.startswith("empathy_")]
                hint = difflib.get_close_matches(hook_name, known, n=1)
                raise ConfigError(
                    self.config_where(f"$.hooks.{hook_name}")
                    + f"unknown hook 'hooks.{hook_name}'"
                    + (f"; did you mean '{hint[0]}'?" if hint else "")
                )
            for index, plugin_name in enumerate(names):
                if not self.has_plugin(plugin_name) and plugin_name not in self.infos:
                    raise ConfigError(
                        self.config_where(f"$.hooks.{hook_name}[{index}]")
                        + f"hooks.{hook_name}: no plugin named {plugin_name!r} "
                        f"(installed: {', '.join(sorted(self.infos))})"
                    )
            _reorder(caller._hookimpls, names)

    def config_where(self, path: str) -> str:
        if self.config.source is None:
            return ""
        line = self.config.line_of(path)
        return f"{self.config.source}:{line}: " if line else f"{self.config.source}: "

    # -- registries ------------------------------------------------------------------

    def collect(
        self,
        hook_name: str,
        kind: str,
        make_register: Callable[[Callable[[Any], None]], Callable[..., None]],
        key: Callable[[Any], Hashable],
    ) -> Registry:
        """Call a registration hook plugin by plugin with a typed ``register``.

        ``make_register(add)`` builds the plugin's ``register``; ``key(entry)`` names an
        entry. A plugin whose hook (or ``register`` call) raises is disabled. A name
        registered by two plugins disables both (:class:`DuplicateNameError` in strict
        mode). Cached until a plugin is added or removed.
        """
        if hook_name in self._registries:
            return self._registries[hook_name]
        registry = Registry(kind)
        clashes: dict[Hashable, set[str]] = {}
        impls = getattr(self.hook, hook_name).get_hookimpls()
        if self._tracing:
            sys.stderr.write(f"  {hook_name} [register] {len(impls)} implementation(s)\n")
        for impl in reversed(impls):
            owner = impl.plugin_name

            def add(entry: Any, _owner: str = owner) -> None:
                name = key(entry)
                if name in registry and registry.owners[name] != _owner:
                    clashes.setdefault(name, {registry.owners[name]}).add(_owner)
                    return
                registry[name] = entry
                registry.owners[name] = _owner

            register = make_register(add)
            if self._tracing:
                sys.stderr.write(f"  {hook_name} [register] plugin: {owner}\n")
            try:
                impl.function(*[register for _ in impl.argnames])
            except (Exception, SystemExit) as exc:
                self.fail(owner, exc, during=hook_name)
                return self.collect(hook_name, kind, make_register, key)
        if clashes:
            self._fail_clashes(kind, clashes)
            return self.collect(hook_name, kind, make_register, key)
        self._registries[hook_name] = registry
        return registry

    def _fail_clashes(self, kind: str, clashes: Mapping[Hashable, set[str]]) -> None:
        for name, owners in clashes.items():
            labels = " and ".join(self.label(o) for o in sorted(owners))
            message = (
                f"{kind} {name!r} is registered by both {labels}; both are disabled: uninstall one "
                "or disable it with 'plugins.disable' in empathy.config.yml or EMPATHY_DISABLE_PLUGINS"
            )
            if self.strict:
                raise DuplicateNameError(message)
            for owner in sorted(owners):
                self.fail(owner, DuplicateNameError(message), during=f"registering {kind} {name!r}")

    def label(self, plugin_name: str) -> str:
        """How messages name plugin ``plugin_name``."""
        info = self.infos.get(plugin_name)
        return info.label() if info else f"plugin {plugin_name!r}"

    def resolve_name(self, name: str) -> str:
        """The plugin name for an entry-point or distribution name."""
        if name in self.infos:
            return name
        return next((n for n, i in self.infos.items() if i.dist == name), name)

    def register_commands(self, cli: Any) -> dict[str, list[str]]:
        """Let every plugin add commands to ``cli``; returns command name -> plugins.

        A plugin replacing a command another plugin (or the core) added is disabled with
        the other one (the core's commands win); sharing a group through
        ``get_or_create_group`` is fine.
        """
        owners: dict[str, list[str]] = {}
        core = set(cli.commands)
        for impl in reversed(self.hook.empathy_register_commands.get_hookimpls()):
            before = {name: (cmd, _subcommands(cmd)) for name, cmd in cli.commands.items()}
            try:
                impl.function(*[cli for _ in impl.argnames])
            except (Exception, SystemExit) as exc:
                _restore(cli, before)
                self.fail(impl.plugin_name, exc, during="empathy_register_commands")
                continue
            replaced = [n for n, (cmd, _) in before.items() if cli.commands.get(n) is not cmd]
            if replaced:
                _restore(cli, before)
                self._command_clash(cli, owners, replaced[0], impl.plugin_name, core)
                continue
            for name, command in cli.commands.items():
                if name not in before or _subcommands(command) != before[name][1]:
                    owners.setdefault(name, []).append(impl.plugin_name)
        return owners

    def _command_clash(
        self, cli: Any, owners: dict[str, list[str]], name: str, newcomer: str, core: set[str]
    ) -> None:
        """``newcomer`` tried to replace command ``name``: disable it, and the plugin that
        added ``name`` first (with every command it added), unless the core owns it."""
        rival = None if name in core else owners[name][0]
        message = (
            f"command {name!r} is registered by both {self.label(rival) if rival else 'the core'} "
            f"and {self.label(newcomer)}; disable one with 'plugins.disable'"
        )
        if self.strict:
            raise DuplicateNameError(message)
        if rival is not None:
            for command in [n for n, o in owners.items() if o[0] == rival]:
                cli.commands.pop(command, None)
                del owners[command]
            self.fail(rival, DuplicateNameError(message), during="empathy_register_commands")
        self.fail(newcomer, DuplicateNameError(message), during="empathy_register_commands")


def _restore(cli: Any, before: Mapping[str, tuple[Any, frozenset[str]]]) -> None:
    """Undo what a failed ``empathy_register_commands`` added or replaced."""
    for name in set(cli.commands) - set(before):
        del cli.commands[name]
    for name, (command, _) in before.items():
        cli.commands[name] = command


def _subcommands(command: Any) -> frozenset[str]:
    """Names under a click group (empty for a plain command)."""
    return frozenset(getattr(command, "commands", {}))


def _reorder(hookimpls: list[Any], names: list[str]) -> None:
    """Reorder pluggy's impl list in place so ``names`` are called first, in order.

    pluggy calls impls from the end of the list; ``trylast`` / ``tryfirst`` partitions are
    kept (the core's fallbacks stay last).
    """
    position = {name: i for i, name in enumerate(names)}
    listed = sorted(
        (i for i in hookimpls if i.plugin_name in position), key=lambda i: position[i.plugin_name]
    )
    others = [i for i in hookimpls if i.plugin_name not in position]
    last = [i for i in others if i.trylast]
    hookimpls[:] = last + [i for i in others if not i.trylast] + list(reversed(listed))
