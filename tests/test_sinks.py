import logging

import attrs

from empathy_core.config import EmpathyConfig, PluginsConfig
from empathy_core.hookspecs import hookimpl
from empathy_core.plugins import make_plugin_manager
from empathy_core.sinks import LazySink


@attrs.define
class Settings:
    fail: bool = False


class ListSink:
    def __init__(self, settings):
        self.settings = settings
        self.records = []

    def record(self, record):
        if self.settings.fail:
            raise OSError("disk full")
        self.records.append(record)


built = []


def _build(settings, config):
    built.append(settings)
    return ListSink(settings)


_sink = LazySink(__name__, _build, "empathy.test.sink")


@hookimpl
def empathy_add_hookspecs(pluginmanager):
    _sink.bind(pluginmanager)


@hookimpl
def empathy_register_settings(register):
    register(Settings)


@hookimpl
def empathy_record_usage(record):
    _sink.record(record)


def _pm(**settings):
    import sys

    config = EmpathyConfig(plugins=PluginsConfig(settings={__name__: settings}))
    return make_plugin_manager([sys.modules[__name__]], config=config)


def test_built_once_from_the_plugins_settings_and_rebuilt_on_rebind():
    built.clear()
    pm = _pm()
    for _ in range(3):
        pm.hook.empathy_record_usage(record="r")
    assert built == [Settings()] and _sink.get().records == ["r", "r", "r"]
    _pm(fail=False)
    assert _sink.get().records == [] and len(built) == 2


def test_failures_are_logged_once_and_never_raised(caplog):
    _pm(fail=True)
    with caplog.at_level(logging.WARNING, logger="empathy.test.sink"):
        for _ in range(3):
            _sink.record("r")
    assert [r.getMessage() for r in caplog.records] == ["usage record not written: OSError: disk full"]
