"""Register this plugin in the empathy-testing plugin manager, as its entry point would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from empathy_core.plugins import PluginInfo

from {{ cookiecutter.package_name }} import plugin

DIST = "{{ cookiecutter.project_slug }}"


@pytest.fixture
def plugin_pm(empathy_pm: Any) -> Callable[[], Any]:
    """Call it to get `empathy_pm` with this plugin registered (builtins and `mock` included).

    Set `empathy_pm.config` first to test with a configuration.
    """

    def build() -> Any:
        pm = empathy_pm.get()
        if not pm.has_plugin(plugin.PLUGIN):
            info = PluginInfo(name=plugin.PLUGIN, status="loaded", dist=DIST, first_party=False)
            pm.add_plugin(plugin, plugin.PLUGIN, info)
        return pm

    return build
