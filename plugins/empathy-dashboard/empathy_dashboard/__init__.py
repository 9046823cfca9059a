"""A local web dashboard for Empathy: costs, cache savings, live agents, events,
approvals, routing advice and runs, read through the public API only.

``from empathy_dashboard import create_app, DashboardData`` (resolved lazily, so the
entry-point module stays cheap to import).
"""

from __future__ import annotations

from empathy_core import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "create_app": "app",
    "DashboardData": "data",
    "Guard": "security",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
