"""A telemetry sink built lazily from its plugin's own settings.

Sink plugins (JSONL, OpenTelemetry, third-party ones) share one life cycle: bind to the
plugin manager that registers their module, build the sink from their validated
settings on the first record, and never let a failure reach the call being recorded.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from empathy_core.config import EmpathyConfig


class LazySink:
    """One sink per binding, made by ``build(settings, config)`` on first use.

    ``module`` is the plugin's entry-point module name: its registered plugin name is how
    the settings (``plugins.settings.<name or distribution>``) are found. ``build`` may
    return ``None`` to record nothing. Failures, building or recording, are logged on
    ``logger`` once per distinct message and never raised.
    """

    def __init__(self, module: str, build: Callable[[Any, EmpathyConfig], Any], logger: str) -> None:
        self._module = module
        self._build = build
        self._log = logging.getLogger(logger)
        self._pm: Any = None
        self._sink: Any = None
        self._logged: set[str] = set()

    def bind(self, pluginmanager: Any) -> None:
        """Use ``pluginmanager`` from now on; the sink is rebuilt on the next record."""
        self._pm, self._sink = pluginmanager, None

    def get(self) -> Any:
        """The sink, built on first use; ``None`` before binding or when disabled."""
        if self._sink is None and self._pm is not None:
            name = self._pm.get_name(sys.modules[self._module])
            self._sink = self._build(self._pm.plugin_settings(name), self._pm.config)
        return self._sink

    def record(self, record: Any) -> None:
        """Hand ``record`` to the sink; log instead of raising."""
        try:
            sink = self.get()
            if sink is not None:
                sink.record(record)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}"
            if message not in self._logged:
                self._logged.add(message)
                self._log.warning("usage record not written: %s", message)
