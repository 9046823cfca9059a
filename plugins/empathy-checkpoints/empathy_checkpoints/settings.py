"""Settings of durable runs (``plugins.settings.empathy-checkpoints`` in YAML)."""

from __future__ import annotations

from typing import Any

import attrs

from empathy_core import check_seconds


def _seconds(maximum: float) -> Any:
    def validate(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
        check_seconds(value, attribute.name, maximum=maximum)

    return validate


def _url(instance: Any, attribute: attrs.Attribute, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or "://" not in value):
        raise ValueError(f"{attribute.name} must be a store URL such as sqlite:///runs.db, got {value!r}")


@attrs.define
class CheckpointSettings:
    """Whether runs are checkpointed, where, and the worker and response-cache knobs."""

    enabled: bool = True
    """Checkpoint every workflow run (a workflow class opts out with ``checkpoint = False``)."""
    store: str | None = attrs.field(default=None, validator=_url)
    """The checkpoint store's URL; default the telemetry store's (``telemetry.store``) when a
    ``checkpoints`` backend serves its scheme, else ``sqlite:///checkpoints.db`` in the cache."""
    lease: float = attrs.field(default=30.0, validator=_seconds(3600))
    """Seconds a worker holds a run without renewing; a dead worker's run is claimed after."""
    response_cache: bool = False
    """Answer a repeated LLM request (same model, prompt and parameters) from the cache, at $0."""
    cache_ttl: float = attrs.field(default=3600.0, validator=_seconds(30 * 86400))
    """Seconds a cached response is served."""
