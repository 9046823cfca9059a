"""TEMPORARY workaround for a core bug, to delete once the test kit is fixed.

``empathy_core.testing.store_conformance`` still imports ``DAY_US``, ``HOUR_US``,
``from_us`` and ``to_us`` from the core's private ``empathy_core.stores``, which Plugin
API v1 moved to ``empathy_sql.rows``; the import fails and with it every test here.
This puts the library's definitions where the test kit looks for them, and does
nothing once the core defines them again.
"""

from __future__ import annotations

import sys

import empathy_core
from empathy_sql import rows

_stores = sys.modules[empathy_core.TelemetryStore.__module__]
for _name in ("DAY_US", "HOUR_US", "from_us", "to_us"):
    if not hasattr(_stores, _name):
        setattr(_stores, _name, getattr(rows, _name))
