"""Registration and lifecycle hooks through the plugin manager's public API.

Each test builds a runtime from small plugins (``Empathy(config, plugins=[...])``) and
checks what it collects: typed entries for level handlers, router strategies, storage
backends and settings, hooks added by a plugin, name clashes (both plugins disabled) and
the configure/unconfigure lifecycle.
"""

from __future__ import annotations

import attrs
import pytest

from empathy_core import (
    BackendEntry,
    BackendRole,
    ConfigError,
    DuplicateNameError,
    Empathy,
    LevelHandlerEntry,
    ModelTier,
    RouteDecision,
    StorageError,
    hookimpl,
    hookspec,
    parse_config,
)


def make(plugins, config=None, **kwargs):
    return Empathy(config, plugins=plugins, **kwargs)


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
        register(1, "greeter", greet)
        register(level=4, name="default", handler=anticipate)


class OtherLevels:
    @hookimpl
    def empathy_register_level_handlers(self, register):
        register(4, "default", greet)


class AnotherLevelFour:
    @hookimpl
    def empathy_register_level_handlers(self, register):
        register(4, "cautious", greet)


def test_level_handlers_are_typed_entries_by_level_and_name():
    empathy = make([_named("levels", Levels), _named("cautious", AnotherLevelFour)])
    handlers = empathy.level_handlers()
    assert dict(handlers) == {
        (1, "greeter"): LevelHandlerEntry(1, "greeter", greet),
        (4, "default"): LevelHandlerEntry(4, "default", anticipate),
        (4, "cautious"): LevelHandlerEntry(4, "cautious", greet),
    }
    assert handlers.owners[(4, "cautious")] == "cautious"
    assert handlers[(4, "default")].handler(None, "hi", {}) == "level 4: hi"


def test_same_level_and_name_from_two_plugins_disables_both_naming_them():
    empathy = make(
        [_named("levels", Levels), _named("other", OtherLevels), _named("cautious", AnotherLevelFour)]
    )
    with pytest.warns(UserWarning, match=r"level handler \(4, 'default'\) is registered by both") as info:
        handlers = empathy.level_handlers()
    message = str(info[0].message)
    assert "plugin 'levels'" in message and "plugin 'other'" in message
    assert list(handlers) == [(4, "cautious")]
    assert empathy.infos["levels"].status == empathy.infos["other"].status == "failed"


def test_same_name_in_strict_mode_is_an_error_naming_both():
    empathy = make([_named("levels", Levels), _named("other", OtherLevels)], strict=True)
    with pytest.raises(DuplicateNameError, match=r"registered by both plugin 'levels' and plugin 'other'"):
        empathy.level_handlers()


@pytest.mark.parametrize(
    "call",
    [
        lambda register: register("x", factory=None),
        lambda register: register("x"),
        lambda register: register(name=3, factory=print),
        lambda register: register("x", print, "extra"),
    ],
    ids=["not-callable", "missing-argument", "name-not-a-string", "extra-argument"],
)
def test_a_wrong_register_call_disables_only_that_plugin(call):
    class Wrong:
        @hookimpl
        def empathy_register_providers(self, register):
            call(register)

    class Right:
        @hookimpl
        def empathy_register_providers(self, register):
            register(name="good", factory=lambda empathy, settings: "provider")

    empathy = make([_named("wrong", Wrong), _named("right", Right)])
    with pytest.warns(UserWarning, match=r"plugin 'wrong' failed in empathy_register_providers: TypeError"):
        providers = empathy.providers()
    assert list(providers) == ["good"]
    assert empathy.provider("good") == "provider"


@attrs.define
class Cautious:
    """PREMIUM when the stage input says it is hard."""

    empathy: object
    settings: object

    def select(self, context):
        if context.input_data.get("hard"):
            return RouteDecision(ModelTier.PREMIUM, reason="hard input")
        return None


class Strategies:
    @hookimpl
    def empathy_register_router_strategies(self, register):
        register("cautious", Cautious)


def test_router_strategies_are_factories_taking_the_runtime_and_settings():
    from empathy_core import RouteContext

    empathy = make([_named("strategies", Strategies)])
    assert list(empathy.strategies()) == ["cautious"]
    strategy = empathy.strategy("cautious")
    assert strategy.empathy is empathy and strategy.settings is None
    assert empathy.strategy("cautious") is strategy  # built once per runtime
    hard = RouteContext("wf", "review", ModelTier.CHEAP, input_data={"hard": True})
    assert strategy.select(hard) == RouteDecision(ModelTier.PREMIUM, reason="hard input")
    assert strategy.select(RouteContext("wf", "review", ModelTier.CHEAP)) is None


def test_router_strategy_name_from_two_plugins_disables_both():
    empathy = make([_named("a", Strategies), _named("b", Strategies)])
    with pytest.warns(UserWarning, match=r"router strategy 'cautious' is registered by both"):
        assert dict(empathy.strategies()) == {}


@attrs.define
class MemoryStore:
    empathy: object
    settings: object
    url: str
    rows: list = attrs.Factory(list)


class Backends:
    @hookimpl
    def empathy_register_backends(self, register):
        register("memdb", "telemetry", MemoryStore)
        register("memdb", BackendRole.MEMORY, MemoryStore)
        register(scheme="otherdb", role="events", factory=MemoryStore)


def test_backends_are_typed_entries_keyed_by_scheme_per_role():
    empathy = make([_named("backends", Backends)])
    assert empathy.backends("telemetry") == {
        "memdb": BackendEntry("memdb", BackendRole.TELEMETRY, MemoryStore)
    }
    assert list(empathy.backends(BackendRole.EVENTS)) == ["otherdb"]
    assert empathy.backends("checkpoints") == {}
    store = empathy.open_backend("telemetry", "memdb://bucket/usage")
    assert store == MemoryStore(empathy, None, "memdb://bucket/usage")
    assert empathy.open_backend("telemetry", "memdb://bucket/usage") is store  # opened once per runtime


def test_an_unknown_role_is_a_registration_error_of_that_plugin():
    class BadRole:
        @hookimpl
        def empathy_register_backends(self, register):
            register("memdb", "coordination", MemoryStore)

    empathy = make([_named("bad-role", BadRole), _named("backends", Backends)])
    with pytest.warns(
        UserWarning, match=r"'bad-role' failed in empathy_register_backends: ValueError: unknown"
    ):
        assert list(empathy.backends("telemetry")) == ["memdb"]


def test_unknown_scheme_names_it_and_the_installed_ones():
    empathy = make([_named("backends", Backends)])
    with pytest.raises(
        StorageError, match=r"no telemetry backend for URL scheme mongo:// \(installed: memdb://\)"
    ):
        empathy.open_backend("telemetry", "mongo://localhost/usage")


def test_same_scheme_and_role_from_two_plugins_disables_both():
    empathy = make([_named("one", Backends), _named("two", Backends)])
    with pytest.warns(UserWarning, match=r"backend \('memdb', <BackendRole.TELEMETRY"):
        assert empathy.backends("telemetry") == {}


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
    empathy = make([_named("greeter", WithSettings)], config=config)
    assert empathy.settings_classes() == {"greeter": GreeterSettings}
    assert empathy.settings("greeter") == GreeterSettings(repeat=3)
    assert empathy.settings(GreeterSettings) is empathy.settings("greeter")


def test_settings_default_when_absent():
    empathy = make([_named("greeter", WithSettings)])
    assert empathy.settings(GreeterSettings) == GreeterSettings()


def test_a_raising_register_settings_disables_that_plugin_only():
    class Raises:
        @hookimpl
        def empathy_register_settings(self, register):
            raise RuntimeError("settings broke")

    empathy = make([_named("raises", Raises), _named("greeter", WithSettings)])
    with pytest.warns(UserWarning, match="plugin 'raises' failed in empathy_register_settings: RuntimeError"):
        empathy.validate_settings()
    assert empathy.settings_classes() == {"greeter": GreeterSettings}


def test_settings_validator_error_names_key_path_and_line(tmp_path):
    config = parse_config(
        "provider: mock\nplugins:\n  settings:\n    greeter:\n      repeat: 9\n", tmp_path / "c.yml"
    )
    empathy = make([_named("greeter", WithSettings)], config=config)
    with pytest.raises(ConfigError) as info:
        empathy.settings("greeter")
    assert str(info.value) == (
        f"{tmp_path / 'c.yml'}:5: plugins.settings.greeter.repeat: 'repeat' must be in (1, 2, 3) (got 9)"
    )


class Lifecycle:
    def __init__(self):
        self.calls = []

    @hookimpl
    def empathy_configure(self, empathy):
        self.calls.append(("configure", empathy))

    @hookimpl
    def empathy_unconfigure(self, empathy):
        self.calls.append(("unconfigure", empathy))


def test_unconfigure_runs_once_on_close_with_the_configured_runtime():
    plugin = _named("lifecycle", Lifecycle)
    empathy = make([plugin])
    empathy.close()
    assert plugin.calls == []  # never configured: nothing to release
    empathy.configure()
    empathy.configure()
    empathy.close()
    empathy.close()
    assert plugin.calls == [("configure", empathy), ("unconfigure", empathy)]


def test_a_plugin_added_to_a_configured_runtime_is_configured_at_once():
    empathy = make([]).configure()
    plugin = _named("late", Lifecycle)
    assert empathy.add_plugin(plugin)
    assert plugin.calls == [("configure", empathy)]


class ColorSpecs:
    """Hookspecs a plugin adds for other plugins."""

    @staticmethod
    @hookspec
    def empathy_register_colors(register):
        """Register colours with ``register((name, hex))``."""


class AddsColorHook:
    @hookimpl
    def empathy_add_hookspecs(self, pluginmanager):
        pluginmanager.add_hookspecs(ColorSpecs)

    @hookimpl
    def empathy_register_colors(self, register):
        register(("teal", "#008080"))


class ImplementsColorHook:
    @hookimpl
    def empathy_register_colors(self, register):
        register(("amber", "#ffbf00"))


@pytest.mark.parametrize("order", [("adds", "implements"), ("implements", "adds")])
def test_added_hookspecs_can_be_implemented_by_other_plugins(order):
    plugins = {"adds": _named("adds", AddsColorHook), "implements": _named("implements", ImplementsColorHook)}
    empathy = make([plugins[name] for name in order])
    assert empathy.infos["implements"].status == "loaded"
    assert empathy.infos["implements"].hooks == ["empathy_register_colors"]
    colors = empathy.collect("empathy_register_colors", "colour", key=lambda pair: pair[0])
    assert dict(colors) == {"teal": ("teal", "#008080"), "amber": ("amber", "#ffbf00")}
    assert colors.owners == {"teal": "adds", "amber": "implements"}


def test_implementing_an_added_hook_without_its_plugin_is_isolated():
    with pytest.warns(UserWarning, match=r"'implements'.*unknown hook 'empathy_register_colors'"):
        empathy = make([_named("implements", ImplementsColorHook)])
    assert empathy.infos["implements"].status == "failed"
    assert not empathy.plugin_manager.has_plugin("implements")
