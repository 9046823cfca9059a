"""Register this plugin in the `empathy` runtime of empathy-testing, as its entry point would."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from {{ cookiecutter.package_name }} import plugin


@pytest.fixture
def add_plugin(empathy: Any) -> Callable[[], Any]:
    """Call it to register this plugin in `empathy` (builtins and `mock` included) under
    its entry-point name and distribution; returns the runtime.

    Set `empathy.config` first to test with a configuration.
    """
    return lambda: empathy.add(plugin, name=plugin.PLUGIN, dist="{{ cookiecutter.project_slug }}")
