"""The routing history sink: each workflow call's outcome into the routing store."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from empathy_core import EmpathyError, StashKey, utcnow
from empathy_routing.wiring import routing_store

if TYPE_CHECKING:
    from empathy_core import Empathy, UsageRecord

log = logging.getLogger("empathy.routing")

_STATE = StashKey[set[str]]("empathy-routing-history")


def remember(empathy: Empathy, record: UsageRecord) -> None:
    """Store ``record``'s outcome; once per runtime, drop calls older than the telemetry
    retention. A store error is logged once per message and never raised."""
    logged = empathy.stash.setdefault(_STATE, set())
    try:
        store = routing_store(empathy)
        if "pruned" not in logged:
            logged.add("pruned")
            days = empathy.config.telemetry.retention_days
            if days > 0:
                store.prune_calls(utcnow() - timedelta(days=days))
        store.add_calls([record])
    except EmpathyError as exc:
        if str(exc) not in logged:
            logged.add(str(exc))
            log.warning("routing: call history not stored: %s", exc)
