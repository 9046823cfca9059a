"""Registration and lifecycle hooks through the plugin manager's public API.

Each test registers small plugins with ``make_plugin_manager`` and checks what the
manager collects: level handlers, router strategies, storage backends, settings, hooks
added by a plugin, and the configure/unconfigure lifecycle.
"""

from __future__ import annotations

import attrs
import pytest

from empathy_core.config import parse_config
from empathy_core.errors import ConfigError, DuplicateNameError, StorageError
from empathy_core.hookspecs import hookimpl, hookspec
from empathy_core.plugins import make_plugin_manager
from empathy_core.records import ModelTier


def _named(name: str, cls: type) -> object:
    """An instance of ``cls`` that the plugin manager registers under ``name``."""
    plugin = cls()
    plugin.__name__ = name
    return plugin


def greet(os, user_input, context):
    return f"level 1: {user_input}"


def anticipate(os, user_input, context):
    return f"level 4: {user_input}"


class Levels:
    @hookimpl
    def empathy_register_level_handlers(self, register):
        register(1, greet)
        register(4, anticipate)


class OtherLevels:
    @hookimpl
    def empathy_register_level_handlers(self, register):
        register(4, greet)


def test_level_handlers_are_collected_by_level():
    pm = make_plugin_manager([_named("levels", Levels)])
    handlers = pm.level_handlers()
    assert dict(handlers) == {1: greet, 4: anticipate}
    assert handlers.owners == {1: "levels", 4: "levels"}
    assert handlers[4](None, "hi", {}) == "level 4: hi"


def test_same_level_from_two_plugins_names_both():
    pm = make_plugin_manager([_named("levels", Levels), _named("other", OtherLevels)])
    with pytest.raises(DuplicateNameError, match=r"level handler 4 is registered by both plugin") as info:
        pm.level_handlers()
    assert "plugin 'levels'" in str(info.value) and "plugin 'other'" in str(info.value)


@attrs.define
class Cautious:
    """Upgrade a stage to PREMIUM when its input says it is hard."""

    config: object

    def select(self, workflow, stage, context):
        return ModelTier.PREMIUM if context.get("hard") else None


class Strategies:
    @hookimpl
    def empathy_register_router_strategies(self, register):
        register("cautious", Cautious)


def test_router_strategies_are_factories_taking_the_config():
    pm = make_plugin_manager([_named("strategies", Strategies)])
    strategies = pm.router_strategies()
    assert list(strategies) == ["cautious"]
    strategy = strategies["cautious"](pm.config)
    assert strategy.config is pm.config
    assert strategy.select(None, "review", {"hard": True}) is ModelTier.PREMIUM
    assert strategy.select(None, "review", {}) is None


def test_router_strategy_name_from_two_plugins_names_both():
    pm = make_plugin_manager([_named("a", Strategies), _named("b", Strategies)])
    with pytest.raises(DuplicateNameError, match=r"router strategy 'cautious' is registered by both"):
        pm.router_strategies()


@attrs.define
class MemoryStore:
    url: str
    config: object
    rows: list = attrs.Factory(list)


class Backends:
    @hookimpl
    def empathy_register_backends(self, register):
        register("memdb", "telemetry", MemoryStore)
        register("memdb", "memory", MemoryStore)
        register("otherdb", "coordination", MemoryStore)


def test_backends_are_keyed_by_scheme_per_role():
    pm = make_plugin_manager([_named("backends", Backends)])
    assert pm.backends("telemetry") == {"memdb": MemoryStore}
    assert pm.backends("coordination") == {"otherdb": MemoryStore}
    assert pm.backends("nothing") == {}
    store = pm.open_backend("telemetry", "memdb://bucket/usage")
    assert store == MemoryStore("memdb://bucket/usage", pm.config)
    assert store.config is pm.config


def test_unknown_scheme_names_it_and_the_installed_ones():
    pm = make_plugin_manager([_named("backends", Backends)])
    with pytest.raises(
        StorageError, match=r"no telemetry backend for URL scheme mongo:// \(installed: memdb://\)"
    ):
        pm.open_backend("telemetry", "mongo://localhost/usage")


def test_same_scheme_and_role_from_two_plugins_names_both():
    pm = make_plugin_manager([_named("one", Backends), _named("two", Backends)])
    with pytest.raises(DuplicateNameError, match=r"backend \('memdb', 'telemetry'\) is registered by both"):
        pm.backends("telemetry")


@attrs.define
class GreeterSettings:
    greeting: str = "hello"
    repeat: int = attrs.field(default=1, validator=attrs.validators.in_((1, 2, 3)))


class WithSettings:
    @hookimpl
    def empathy_register_settings(self, register):
        register(GreeterSettings)


def test_settings_come_from_yaml_under_the_plugin_name(tmp_path):
    config = parse_config("plugins:\n  settings:\n    greeter:\n      repeat: 3\n", tmp_path / "c.yml")
    pm = make_plugin_manager([_named("greeter", WithSettings)], config=config)
    assert pm.settings_classes() == {"greeter": GreeterSettings}
    assert pm.plugin_settings("greeter") == GreeterSettings(repeat=3)


def test_settings_default_when_absent():
    pm = make_plugin_manager([_named("greeter", WithSettings)])
    assert pm.plugin_settings("greeter") == GreeterSettings()


def test_settings_validator_error_names_key_path_and_line(tmp_path):
    config = parse_config(
        "provider: mock\nplugins:\n  settings:\n    greeter:\n      repeat: 9\n", tmp_path / "c.yml"
    )
    pm = make_plugin_manager([_named("greeter", WithSettings)], config=config)
    with pytest.raises(ConfigError) as info:
        pm.plugin_settings("greeter")
    assert str(info.value) == (
        f"{tmp_path / 'c.yml'}:5: plugins.settings.greeter.repeat: 'repeat' must be in (1, 2, 3) (got 9)"
    )


class Lifecycle:
    def __init__(self):
        self.calls = []

    @hookimpl
    def empathy_configure(self, config):
        self.calls.append(("configure", config))

    @hookimpl
    def empathy_unconfigure(self, config):
        self.calls.append(("unconfigure", config))


def test_unconfigure_runs_once_on_close_with_the_configured_config():
    plugin = _named("lifecycle", Lifecycle)
    pm = make_plugin_manager([plugin])
    pm.close()
    assert plugin.calls == []  # never configured: nothing to release
    pm.configure()
    pm.configure()
    pm.close()
    pm.close()
    assert plugin.calls == [("configure", pm.config), ("unconfigure", pm.config)]


class ColorSpecs:
    """Hookspecs a plugin adds for other plugins."""

    @staticmethod
    @hookspec
    def empathy_register_colors(register):
        """Register colour names with ``register(name, hex)``."""


class AddsColorHook:
    @hookimpl
    def empathy_add_hookspecs(self, pluginmanager):
        pluginmanager.add_hookspecs(ColorSpecs)

    @hookimpl
    def empathy_register_colors(self, register):
        register("teal", "#008080")


class ImplementsColorHook:
    @hookimpl
    def empathy_register_colors(self, register):
        register("amber", "#ffbf00")


@pytest.mark.parametrize("order", [("adds", "implements"), ("implements", "adds")])
def test_added_hookspecs_can_be_implemented_by_other_plugins(order):
    plugins = {"adds": _named("adds", AddsColorHook), "implements": _named("implements", ImplementsColorHook)}
    pm = make_plugin_manager([plugins[name] for name in order])
    assert pm.infos["implements"].status == "loaded"
    assert pm.infos["implements"].hooks == ["empathy_register_colors"]
    colors = pm.collect("empathy_register_colors", "colour")
    assert dict(colors) == {"teal": "#008080", "amber": "#ffbf00"}
    assert colors.owners == {"teal": "adds", "amber": "implements"}


def test_implementing_an_added_hook_without_its_plugin_is_isolated():
    with pytest.warns(UserWarning, match=r"'implements'.*unknown hook 'empathy_register_colors'"):
        pm = make_plugin_manager([_named("implements", ImplementsColorHook)])
    assert pm.infos["implements"].status == "failed"
    assert not pm.has_plugin("implements")
