"""Register this plugin in the empathy-testing plugin manager, as its entry point would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import plugin


@pytest.fixture
def plugin_pm(empathy_pm: Any) -> Callable[[], Any]:
    """Call it to get `empathy_pm` with this plugin registered (builtins and `mock` included).

    Set `empathy_pm.config` first to test with a configuration.
    """
    return lambda: empathy_pm.add(plugin, name=plugin.PLUGIN, dist="{{ cookiecutter.project_slug }}")
